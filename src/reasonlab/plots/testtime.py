"""Figures of test-time compute by difficulty, from :mod:`reasonlab.shipped.testtime` tables.

Like :mod:`reasonlab.plots.scaling`: every function takes rows or results and returns a
matplotlib Figure built without pyplot; none of them shows it. Shaded bands and error bars are
the 95% bootstrap intervals over problems that the tables carry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import colormaps
from matplotlib.figure import Figure

from .scaling import _k_axis

Rows = Sequence[Mapping[str, Any]]
_COLORS = colormaps["tab10"].colors
_STYLES = {"majority": "--", "pass": "-", "confidence": ":"}
_SHORT = {"majority": "majority@k", "pass": "pass@k (verifier)", "confidence": "own log-prob"}


def plot_by_difficulty(
    rows: Rows, *, metrics: Sequence[str] = ("pass", "majority"), title: str = ""
) -> Figure:
    """One panel per difficulty: each metric against k for each policy, with 95% bands."""
    digits = sorted({r["digits"] for r in rows})
    fig = Figure(figsize=(3.2 * len(digits), 3.4), layout="constrained")
    axes = fig.subplots(1, len(digits), sharey=True)
    for ax, d in zip(axes, digits, strict=True):
        policies = list(dict.fromkeys(r["policy"] for r in rows))
        for color, name in zip(_COLORS, policies, strict=False):
            sel = [r for r in rows if r["digits"] == d and r["policy"] == name]
            ks = [r["k"] for r in sel]
            for m in metrics:
                ax.plot(
                    ks,
                    [r[m] for r in sel],
                    color=color,
                    linestyle=_STYLES.get(m, "-"),
                    marker="o",
                    markersize=2.5,
                    label=f"{name}: {_SHORT.get(m, m)}",
                )
                ax.fill_between(
                    ks,
                    [r[f"{m}/lo"] for r in sel],
                    [r[f"{m}/hi"] for r in sel],
                    color=color,
                    alpha=0.12,
                    linewidth=0,
                )
        _k_panel(ax, ks, f"{d} digit{'s' if d > 1 else ''}")
    return _finish(fig, axes[0], "accuracy (fraction of problems)", title, "lower right")


def plot_budgets(rows: Rows, *, metric: str = "pass", title: str = "") -> Figure:
    """One panel per policy: accuracy at one k against the thinking budget, per difficulty."""
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    budgets = list(dict.fromkeys(r["budget"] for r in rows))
    fig = Figure(figsize=(4.8 * len(policies), 3.6), layout="constrained")
    axes = fig.subplots(1, len(policies), sharey=True)
    cmap = colormaps["viridis"]
    for ax, name in zip(axes, policies, strict=True):
        digits = sorted({r["digits"] for r in rows})
        for i, d in enumerate(digits):
            sel = [r for r in rows if r["policy"] == name and r["digits"] == d]
            y = [r[metric] for r in sel]
            err = [
                [v - r[f"{metric}/lo"] for v, r in zip(y, sel, strict=True)],
                [r[f"{metric}/hi"] - v for v, r in zip(y, sel, strict=True)],
            ]
            ax.errorbar(
                range(len(sel)),
                y,
                yerr=err,
                marker="o",
                capsize=2,
                color=cmap(i / max(1, len(digits) - 1)),
                label=f"{d} digit{'s' if d > 1 else ''}",
            )
        ax.set_xticks(range(len(budgets)), budgets, rotation=30)
        ax.set_title(f"{name}")
        ax.set_xlabel("thinking budget")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"{_SHORT.get(metric, metric)} at k = {rows[0]['k']}")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_tokens(rows: Rows, *, title: str = "Tokens per answer by difficulty") -> Figure:
    """Mean generated tokens of one sample against digits, per policy (95% intervals)."""
    fig = Figure(figsize=(5.2, 3.6), layout="constrained")
    ax = fig.add_subplot()
    sel = [r for r in rows if r["k"] == rows[0]["k"]]
    for color, name in zip(_COLORS, dict.fromkeys(r["policy"] for r in sel), strict=False):
        mine = [r for r in sel if r["policy"] == name]
        y = [r["tokens_per_answer"] for r in mine]
        err = [
            [v - r["tokens/lo"] for v, r in zip(y, mine, strict=True)],
            [r["tokens/hi"] - v for v, r in zip(y, mine, strict=True)],
        ]
        ax.errorbar(
            [r["digits"] for r in mine], y, yerr=err, marker="o", capsize=3, color=color, label=name
        )
    ax.set_xlabel("digits per operand (difficulty)")
    ax.set_ylabel("generated tokens per answer")
    ax.set_xticks(sorted({r["digits"] for r in sel}))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def plot_frontier(compare_rows: Rows, *, title: str = "") -> Figure:
    """Accuracy against mean tokens per problem (scored out of fold) for each allocation."""
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for color, g in zip(_COLORS, ("uniform", "oracle", "estimated"), strict=False):
        pts = [r[g] for r in compare_rows if r[g] is not None]
        x = [p["tokens"] for p in pts]
        y = [p["acc"]["mean"] for p in pts]
        err = [
            [v - p["acc"]["lo"] for v, p in zip(y, pts, strict=True)],
            [p["acc"]["hi"] - v for v, p in zip(y, pts, strict=True)],
        ]
        label = {
            "uniform": "uniform (one strategy for all)",
            "oracle": "by digits (oracle)",
            "estimated": "by probe signals (probes paid)",
        }[g]
        ax.errorbar(x, y, yerr=err, marker="o", markersize=3, capsize=2, color=color, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("mean generated tokens per problem (log scale)")
    ax.set_ylabel("accuracy (fraction of problems)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_crossover(results: Sequence[Mapping[str, Any]], *, title: str = "") -> Figure:
    """Per digit set: pass@k of both policies (bands: 95% intervals) against k up to n."""
    fig = Figure(figsize=(4.8 * len(results), 3.8), layout="constrained")
    axes = fig.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for ax, res in zip(axes, results, strict=True):
        ks = res["k"]
        for color, name in zip(_COLORS, ("base", "rlvr"), strict=False):
            st = res[name]
            ax.plot(ks, st["mean"], color=color, marker="o", markersize=3, label=name)
            ax.fill_between(ks, st["lo"], st["hi"], color=color, alpha=0.15, linewidth=0)
        _k_panel(ax, ks, f"{res['digits']} digits")
    return _finish(fig, axes[0], "pass@k (unbiased)", title, "upper left")


def _k_panel(ax, ks: Sequence[int], title: str) -> None:
    """One panel with k on a log axis, labelled like every k plot of the book."""
    _k_axis(ax, ks)
    ax.set_title(title)
    ax.set_xlabel("k, samples per problem")
    ax.grid(alpha=0.3)


def _finish(fig: Figure, first, ylabel: str, title: str, loc: str) -> Figure:
    """Label the first panel, put the legend on it, and title the figure."""
    first.set_ylabel(ylabel)
    first.legend(fontsize=7, loc=loc)
    if title:
        fig.suptitle(title)
    return fig
