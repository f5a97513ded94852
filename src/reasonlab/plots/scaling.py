"""Figures of inference-time scaling, drawn from :func:`reasonlab.measurement.scaling.sweep` tables.

Every function takes rows (lists of dicts with the keys documented in
:mod:`reasonlab.measurement.sweeps`) and returns a matplotlib Figure; none of them shows it.
Figures are built without pyplot, so no global figure state is left behind: a notebook shows one
by leaving it as a cell's value (or with ``display``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

Rows = Sequence[Mapping[str, Any]]

#: Readable names of the table's accuracy columns.
LABELS = {
    "pass_at_k": "pass@k (oracle verifier picks)",
    "majority_at_k": "majority@k (vote, no verifier)",
    "best_of_k/confidence": "best-of-k by own log-prob",
}
_STYLES = {"pass_at_k": "-", "majority_at_k": "--", "best_of_k/confidence": ":"}
_COLORS = colormaps["tab10"].colors  # one colour per policy


def _select(rows: Rows, **where: Any) -> list[Mapping[str, Any]]:
    out = [r for r in rows if all(r[key] == value for key, value in where.items())]
    if not out:
        raise ValueError(f"no rows match {where}")
    return out


def _k_axis(ax: Axes, ks: Sequence[int]) -> None:
    ax.set_xscale("log", base=2)
    # Label the powers of two (and the ends) only: 32 labels on a log axis overlap.
    ticks = sorted({k for k in ks if k & (k - 1) == 0} | {min(ks), max(ks)})
    ax.set_xticks(ticks, [str(k) for k in ticks])
    ax.minorticks_off()


def plot_k_curves(
    tables: Mapping[str, Rows],
    *,
    metrics: Sequence[str] = ("pass_at_k", "majority_at_k"),
    budget: str = "no limit",
    title: str = "Accuracy against samples per problem",
) -> Figure:
    """Metric against k (log scale) for each policy, with ±1 standard-error bars.

    Args:
        tables: policy name -> sweep rows.
        metrics: columns to draw (one line style each).
        budget: which thinking budget's rows to draw (its ``budget`` label).
        title: figure title.
    """
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for color, (name, rows) in zip(_COLORS, tables.items(), strict=False):
        sel = _select(rows, budget=budget)
        ks = [r["k"] for r in sel]
        for metric in metrics:
            ax.errorbar(
                ks,
                [r[metric] for r in sel],
                yerr=[r[f"{metric}/se"] for r in sel],
                color=color,
                linestyle=_STYLES.get(metric, "-"),
                marker="o",
                markersize=3,
                capsize=2,
                label=f"{name}: {LABELS.get(metric, metric)}",
            )
    _k_axis(ax, ks)
    return _accuracy_figure(fig, ax, "k, samples per problem (log scale)", title)


def plot_budgets(
    tables: Mapping[str, Rows],
    *,
    k: int = 1,
    metric: str = "pass_at_k",
    title: str = "Accuracy against thinking budget",
) -> Figure:
    """Accuracy and tokens per answer against the cap on thinking tokens, at one k.

    Rows with no cap are drawn at the right end, labelled "none".
    """
    fig = Figure(figsize=(9.6, 3.8), layout="constrained")
    ax_acc, ax_tok = fig.subplots(1, 2)
    for color, (name, rows) in zip(_COLORS, tables.items(), strict=False):
        sel = [r for r in _select(rows, k=k) if r["min_think_tokens"] is None]
        capped = sorted((r for r in sel if r["max_think_tokens"] is not None), key=_cap)
        free = [r for r in sel if r["max_think_tokens"] is None]
        order = capped + free
        top = max((r["max_think_tokens"] for r in capped), default=0)
        xs = [_cap(r) if r["max_think_tokens"] is not None else 1.5 * top + 4 for r in order]
        ax_acc.errorbar(
            xs,
            [r[metric] for r in order],
            yerr=[r[f"{metric}/se"] for r in order],
            color=color,
            marker="o",
            capsize=2,
            label=name,
        )
        ax_tok.plot(
            xs, [r["tokens_per_answer"] for r in order], color=color, marker="o", label=name
        )
    ticks = sorted(set(xs))
    names = [str(int(x)) for x in ticks[:-1]] + ["none"] if free else [str(int(x)) for x in ticks]
    for ax in (ax_acc, ax_tok):
        ax.set_xticks(ticks, names)
        ax.set_xlabel("cap on thinking tokens")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax_acc.set_ylabel(f"{LABELS.get(metric, metric)} at k = {k}")
    ax_tok.set_ylabel("generated tokens per answer")
    ax_acc.set_title(title)
    ax_tok.set_title("What it costs")
    return fig


def _cap(row: Mapping[str, Any]) -> int:
    return int(row["max_think_tokens"])


def plot_compute_matched(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    target: float | None = None,
    title: str = "Accuracy at equal tokens",
    xlabel: str = "generated tokens per problem (log scale)",
) -> Figure:
    """Accuracy against tokens spent for several strategies, on a log token axis.

    Args:
        series: label -> (tokens per problem, accuracy), one point per k or attempt budget.
        target: if given, a horizontal line at this accuracy.
    """
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for label, (tokens, accuracy) in series.items():
        ax.plot(tokens, accuracy, marker="o", markersize=3, label=label)
    if target is not None:
        ax.axhline(target, color="grey", linewidth=0.8, linestyle="--", label=f"target {target}")
    ax.set_xscale("log")
    # Plain numbers on the major ticks, none on the minor ones (they overlap on a short range).
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    return _accuracy_figure(fig, ax, xlabel, title)


def _accuracy_figure(fig: Figure, ax: Axes, xlabel: str, title: str) -> Figure:
    """Label an accuracy plot the same way everywhere."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (fraction of problems)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig
