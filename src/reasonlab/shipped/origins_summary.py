"""The figures and the benchmark JSON of notebook 13, from :func:`.origins.load` and the rows of
:mod:`reasonlab.shipped.origins_tables` (whose tables notebook 13 reads here too).

Every function takes the loaded results (``{item: {seed: result}}``) or those rows and returns a
matplotlib Figure or plain JSON; none of them displays anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..core import stats
from ..core.stats import Interval
from . import origins
from .origins_tables import (  # noqa: F401 (osum.prior_rows and the rest: notebook 13's names)
    CHECK_KEYS,
    LEVELS,
    Results,
    check_items,
    checks_differences,
    checks_rows,
    control_items,
    controls_rows,
    narrow_differences,
    narrow_rows,
    prior_rows,
)


def prior_figure(rows: Sequence[Mapping]) -> Figure:
    """RL's final pass rate, gain and thinking share against the base's thinking share and its
    pass@k with thinking; mean over seeds with 95% t-intervals on both axes."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    panels = (
        ("base_think", "rl_pass", "base thinking share", "greedy pass after RL"),
        ("base_think", "rl_think", "base thinking share", "thinking share after RL"),
        ("base_pass_k_think", "rl_gain", "base pass@8 by thinking samples", "RL gain (greedy)"),
    )
    for ax, (x, y, xl, yl) in zip(axes, panels, strict=True):
        for r in rows:
            xi, yi = r[x], r[y]
            ax.errorbar(
                xi.mean,
                yi.mean,
                xerr=[[xi.mean - xi.lo], [xi.hi - xi.mean]],
                yerr=[[yi.mean - yi.lo], [yi.hi - yi.mean]],
                fmt="o",
                capsize=3,
                label=f"think_frac {r['think_frac']:g}",
            )
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    for ax in axes[:2]:
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlim(-0.002, 0.45)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("The same RL run from bases with more or less thinking in their prior")
    fig.tight_layout()
    return fig


def controls_figure(data: Results) -> Figure:
    """The verifier's acceptance of the training samples at every step, per reward (mean over
    seeds with its 95% band), and the held-out sampled pass before and after."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for reward, item in control_items().items():
        columns = []
        for r in data[item].values():
            tr = r["rl"]["train"]
            verified = tr["reward/verified"][0] is not None
            columns.append(tr["reward/verified"] if verified else tr["reward/mean"])
        _band(ax, columns, reward)
    return _finish(
        fig, ax, "share of training samples right", "What the verifier says, whatever was rewarded"
    )


def _band(ax, columns: Sequence[Sequence[float]], label: str) -> None:
    """One curve per seed (a value per RL step): the mean and its 95% band."""
    curves = [[{"step": i + 1, "v": v} for i, v in enumerate(col)] for col in columns]
    b = stats.band(curves, "v")
    (line,) = ax.plot(b["x"], b["mean"], label=label)
    ax.fill_between(b["x"], b["lo"], b["hi"], alpha=0.2, color=line.get_color())


def _finish(fig: Figure, ax, ylabel: str, title: str) -> Figure:
    ax.set_xlabel("RL step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def narrow_figure(rows: Sequence[Mapping]) -> Figure:
    """Practised and held-out pass per prompt-set size, RL against SFT (95% t-intervals)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, key, title in (
        (axes[0], "practised", "the practised prompts"),
        (axes[1], "held_out", "held-out problems (greedy)"),
    ):
        for k, m in enumerate(origins.NARROW_METHODS):
            sel = [r for r in rows if r["method"] == m]
            xs = [i + (k - 0.5) * 0.3 for i in range(len(sel))]
            iv = [r[key] for r in sel]
            ax.bar(
                xs,
                [v.mean for v in iv],
                width=0.3,
                yerr=[[v.mean - v.lo for v in iv], [v.hi - v.mean for v in iv]],
                capsize=3,
                label=m.upper(),
            )
        ax.set_xticks(range(len(origins.NARROW_SIZES)), [str(n) for n in origins.NARROW_SIZES])
        ax.set_xlabel("distinct prompts practised")
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("pass rate")
    axes[0].legend()
    fig.tight_layout()
    return fig


def checks_figure(data: Results) -> Figure:
    """Share of training samples with a check at every RL step, per check rate (95% band)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for item, c, style in check_items():
        columns = [r["rl"]["train"]["think/check_rate"] for r in data[item].values()]
        _band(ax, columns, f"{style} checks at {c:g}")
    return _finish(fig, ax, "share of samples with a check", "Does RL keep the self-checks?")


# ----------------------------------------------------------------------------- benchmark


def _iv(iv: Interval) -> dict:
    return {"mean": round(iv.mean, 4), "ci95": [round(iv.lo, 4), round(iv.hi, 4)]}


def _num(iv: Interval | None) -> float | None:
    return None if iv is None else round(iv.mean, 4)


def _means(row: Mapping, *keys: str) -> dict:
    """``{key: mean}`` of some columns of a row (the benchmark's plain numbers)."""
    return {k: _num(row[k]) for k in keys}


def _intervals(row: Mapping, *keys: str) -> dict:
    """``{key: {"mean", "ci95"}}`` of some columns of a row."""
    return {k: _iv(row[k]) for k in keys}


def benchmark(data: Results) -> dict:
    """The JSON of ``benchmarks/origins.py --json`` (the issue's schema, means over seeds)."""
    seeds = sorted(set.intersection(*(set(v) for v in data.values())))
    prior = [
        {
            "think_frac": r["think_frac"],
            **_means(r, "base_think", "base_pass_k_think"),
            **_intervals(r, "rl_pass", "rl_gain"),
            **_means(r, "rl_think"),
        }
        for r in prior_rows(data)
    ]
    controls = {
        r["reward"]: {**_means(r, "pass_before"), **_intervals(r, "pass_after", "sampled_after")}
        for r in controls_rows(data)
    }
    narrow = [
        {
            "prompts": r["prompts"],
            "method": r["method"],
            **_means(r, "practised", "held_out"),
            "held_out_ci95": _iv(r["held_out"])["ci95"],
            "held_out_by_difficulty": {f"d{d}": _num(r[f"held_out d{d}"]) for d in LEVELS},
        }
        for r in narrow_rows(data)
    ]
    checks = [
        {
            "check_rate": r["check_rate"],
            "style": r["style"],
            "caught": _num(r["base caught"]),
            "false_alarm": _num(r["base false_alarms"]),
            "fixed": _num(r["base fixed"]),
            "checks_per_step_base": _num(r["base checks_per_step"]),
            "checks_per_step_after_rl": _num(r["after checks_per_step"]),
            "pass_after": _iv(r["after pass"]),
            "tokens_after": _num(r["after tokens"]),
        }
        for r in checks_rows(data)
    ]
    return {
        "seeds": seeds,
        "prior": prior,
        "controls": controls,
        "narrow": narrow,
        "checks": checks,
    }
