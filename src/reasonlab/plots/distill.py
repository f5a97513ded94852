"""Figures and tables of the distillation experiments, from :mod:`reasonlab.shipped.distill_seeds`.

Each function takes summary rows (lists of dicts as
:func:`reasonlab.shipped.distill_results.arm_summary`, ``mix_summary``, ``filter_summary`` and
``differences`` return them; a metric is either a number or ``{"mean", "ci95", ...}`` over seeds)
and returns a matplotlib Figure or a :class:`reasonlab.core.tables.Table`; none of them shows it.
Figures draw the mean over seeds with its 95% t-interval: error bars on bars and points, a shaded
band around curves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..core import tables

Rows = Sequence[Mapping[str, Any]]

#: What each arm of :func:`reasonlab.shipped.distill.compare` did with the shared budget.
ARM_LABELS = {
    "base": "student base (no extra budget)",
    "rlvr": "+ RLVR on the student",
    "sft": "+ more SFT mixture",
    "distill": "+ tutor's traces (distilled)",
}
_DIFFS = (1, 2, 3, 4)
#: Short column headers of the metric names.
HEADERS = {
    "pass_rate": "pass",
    "pass_rate/d1": "pass d1",
    "pass_rate/d2": "pass d2",
    "pass_rate/d3": "pass d3",
    "pass_rate/d4": "pass d4",
    "think/usage": "thinks",
    "tokens_per_answer": "tokens/answer",
    "logic/pass_rate": "logic pass",
    "budget_multiple": "budget x",
    "plain_share": "plain share",
    "traces/think": "traces think",
    "n_traces": "traces",
}


def mean(v: Any) -> float:
    """The mean of an interval dict, or the number itself."""
    return float(v["mean"]) if isinstance(v, Mapping) else float(v)


def _err(values: Sequence[Any]) -> list[list[float]] | None:
    """Error-bar lengths (below, above) of interval dicts; None for plain numbers."""
    if not all(isinstance(v, Mapping) for v in values):
        return None
    lo = [mean(v) - v["ci95"][0] for v in values]
    hi = [v["ci95"][1] - mean(v) for v in values]
    return [lo, hi]


def _sizes(rows: Rows) -> list[str]:
    return sorted({r["size"] for r in rows if r.get("size")}, key=lambda s: s != "quarter")


def plot_compare(rows: Rows, sizes: Sequence[str] = ()) -> Figure:
    """Greedy pass rate per difficulty: the tutor beside each arm, one panel per student size,
    mean over seeds with 95% intervals (rows of ``arm_summary`` at one budget)."""
    sizes = list(sizes) or _sizes(rows)
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.6 * len(sizes) + 2.6, 3.8), sharey=True)
    axes = [axes] if len(sizes) == 1 else list(axes)
    for ax, size in zip(axes, sizes, strict=True):
        mine = [r for r in rows if r["size"] == size]
        group = [("tutor", r) for r in mine if r["arm"] == "tutor"]
        group += [(a, r) for a in ARM_LABELS for r in mine if r["arm"] == a]
        width = 0.8 / len(group)
        for j, (name, row) in enumerate(group):
            xs = [d + (j - (len(group) - 1) / 2) * width for d in _DIFFS]
            vals = [row[f"pass_rate/d{d}"] for d in _DIFFS]
            label = f"tutor ({row['params']:,} params)" if name == "tutor" else ARM_LABELS[name]
            ax.bar(
                xs,
                [mean(v) for v in vals],
                width,
                yerr=_err(vals),
                capsize=2,
                label=label,
                color="black" if name == "tutor" else None,
                error_kw={"elinewidth": 0.8, "ecolor": "0.35"},
            )
        params = next((r["params"] for n, r in group if n != "tutor"), 0)
        ax.set_title(f"{size} student ({params:,} params)")
        ax.set_xticks(list(_DIFFS), [f"{d} digit{'s' if d > 1 else ''}" for d in _DIFFS])
        ax.set_xlabel("difficulty (digits per operand)")
        ax.set_ylim(0, 1.05)
    axes[0].set_ylabel("held-out pass rate, greedy")
    # One legend for both panels, to the right, so no bar hides behind it.
    handles, labels = axes[-1].get_legend_handles_labels()
    axes[-1].legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle("One compute budget, three ways to spend it (mean and 95% interval over seeds)")
    fig.tight_layout()
    return fig


def plot_budget(rows: Rows) -> Figure:
    """Greedy pass rate of the distilled students against their distillation budget: the mean
    over seeds with its 95% band, and the tutor (on the same evaluation sets)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for size in _sizes(rows):
        pts = sorted(
            (r for r in rows if r["size"] == size and r["arm"] in ("distill", "base")),
            key=lambda r: r["budget_multiple"],
        )
        xs = [r["budget_multiple"] for r in pts]
        vals = [r["pass_rate"] for r in pts]
        label = f"{size} student ({pts[0]['params']:,} params)"
        (line,) = ax.plot(xs, [mean(v) for v in vals], "o-", label=label)
        if _err(vals) is not None:
            lo, hi = ([v["ci95"][k] for v in vals] for k in (0, 1))
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    tutor = next((r for r in rows if r["arm"] == "tutor"), None)
    if tutor is not None:
        t = mean(tutor["pass_rate"])
        ax.axhline(t, color="black", label=f"tutor ({tutor['params']:,} params)")
        ax.axhline(0.9 * t, color="black", ls=":", label="90% of the tutor")
    ax.set_xscale("symlog", linthresh=1.0)
    ticks = sorted({r["budget_multiple"] for r in rows if r["arm"] in ("distill", "base")})
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("distillation compute (multiples of the student's RLVR run, FLOPs)")
    ax.set_ylabel("held-out pass rate, greedy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("How much distillation a student needs (band: 95% over seeds)")
    fig.tight_layout()
    return fig


def plot_mix(rows: Rows) -> Figure:
    """What the share of plain instruction data does: accuracy on both domains, and length."""
    xs = [r["plain_share"] for r in rows]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    series = [
        ("pass_rate", "o-", "math (reasoning), greedy"),
        ("pass_rate/d4", "s--", "math, 4 digits only"),
        ("logic/pass_rate", "^-", "decimal comparison (plain data)"),
    ]
    for key, style, label in series:
        vals = [r[key] for r in rows]
        ax.errorbar(xs, [mean(v) for v in vals], yerr=_err(vals), fmt=style, capsize=3,
                    label=label)  # fmt: skip
    ax.set_xlabel("share of plain instruction data in each batch")
    ax.set_ylabel("held-out pass rate")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    vals = [r["tokens_per_answer"] for r in rows]
    ax2.errorbar(xs, [mean(v) for v in vals], yerr=_err(vals), fmt="o-", capsize=3,
                 color="tab:purple")  # fmt: skip
    ax2.set_xlabel("share of plain instruction data in each batch")
    ax2.set_ylabel("math tokens per answer")
    ax2.set_ylim(bottom=0)
    ax3 = ax2.twinx()
    vals = [r["think/usage"] for r in rows]
    ax3.errorbar(xs, [mean(v) for v in vals], yerr=_err(vals), fmt="s--", capsize=3,
                 color="tab:gray")  # fmt: skip
    ax3.set_ylabel("share of math answers that think (dashed)")
    ax3.set_ylim(0, 1.05)
    fig.suptitle("Mixing the tutor's traces with plain instruction data (95% over seeds)")
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- tables


def summary_table(
    rows: Rows, columns: Sequence[str], *, caption: str | None = None, digits: int = 3
) -> tables.Table:
    """Summary rows as a table: interval cells read ``mean [lo, hi]``, FLOPs as ``4.89e+10``."""
    shown = [
        {**r, "flops": f"{r['flops']:.3g}"} if isinstance(r.get("flops"), float) else r
        for r in rows
    ]
    return tables.show(shown, columns, digits=digits, headers=HEADERS, caption=caption)


def difference_table(
    rows: Rows, *, caption: str | None = None, digits: int = 3, seeds: int | None = None
) -> tables.Table:
    """Paired differences (rows of ``differences``) with a "distinguishable?" column: "yes"
    when the 95% interval of the per-seed difference excludes 0."""
    n = seeds or (rows[0]["difference"]["n"] if rows else 0)
    question = f"distinguishable at {n} seeds?"
    shown = [
        {**r, question: "yes" if r["distinguishable"] else "no"}
        for r in rows  # the bool, as a word a reader scans for
    ]
    cols = ["comparison", "size", "metric", "difference", question]
    headers = {"difference": "difference [95% CI]"}
    return tables.show(shown, cols, digits=digits, headers=headers, caption=caption)
