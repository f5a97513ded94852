"""Figures of the distillation experiments, drawn from the tables of :mod:`reasonlab.distill`.

Each function takes rows (lists of dicts as :func:`reasonlab.distill.measure` returns them) and
returns a matplotlib Figure; none of them shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

Rows = Sequence[Mapping[str, Any]]

#: What each arm of :func:`reasonlab.distill.compare` did with the shared budget.
ARM_LABELS = {
    "base": "student base (no extra budget)",
    "rlvr": "+ RLVR on the student",
    "sft": "+ more SFT mixture",
    "distill": "+ tutor's traces (distilled)",
}
_DIFFS = (1, 2, 3, 4)


def plot_compare(rows: Rows, tutor: Mapping[str, Any], sizes: Sequence[str] = ()) -> Figure:
    """Greedy pass rate per difficulty: the tutor beside each arm, one panel per student size."""
    sizes = list(sizes) or sorted({r["size"] for r in rows}, key=lambda s: s != "quarter")
    fig, axes = plt.subplots(1, len(sizes), figsize=(4.6 * len(sizes) + 2.6, 3.8), sharey=True)
    axes = [axes] if len(sizes) == 1 else list(axes)
    bars = [("tutor", tutor)]
    for ax, size in zip(axes, sizes, strict=True):
        arms = [(a, r) for a in ARM_LABELS for r in rows if r["size"] == size and r["arm"] == a]
        group = bars + arms
        width = 0.8 / len(group)
        for j, (name, row) in enumerate(group):
            xs = [d + (j - (len(group) - 1) / 2) * width for d in _DIFFS]
            label = f"tutor ({row['params']:,} params)" if name == "tutor" else ARM_LABELS[name]
            ax.bar(
                xs,
                [row[f"pass_rate/d{d}"] for d in _DIFFS],
                width,
                label=label,
                color="black" if name == "tutor" else None,
            )
        params = arms[0][1]["params"] if arms else 0
        ax.set_title(f"{size} student ({params:,} params)")
        ax.set_xticks(list(_DIFFS), [f"{d} digit{'s' if d > 1 else ''}" for d in _DIFFS])
        ax.set_xlabel("difficulty (digits per operand)")
        ax.set_ylim(0, 1.05)
    axes[0].set_ylabel("held-out pass rate, greedy")
    # One legend for both panels, to the right, so no bar hides behind it.
    handles, labels = axes[-1].get_legend_handles_labels()
    axes[-1].legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle("One compute budget, three ways to spend it")
    fig.tight_layout()
    return fig


def plot_mix(rows: Rows) -> Figure:
    """What the share of plain instruction data does: accuracy on both domains, and length."""
    xs = [r["plain_share"] for r in rows]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax.plot(xs, [r["pass_rate"] for r in rows], "o-", label="math (reasoning), greedy")
    ax.plot(xs, [r["pass_rate/d4"] for r in rows], "s--", label="math, 4 digits only")
    ax.plot(xs, [r["logic/pass_rate"] for r in rows], "^-", label="decimal comparison (plain data)")
    ax.set_xlabel("share of plain instruction data in each batch")
    ax.set_ylabel("held-out pass rate")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8)
    ax2.plot(xs, [r["tokens_per_answer"] for r in rows], "o-", color="tab:purple")
    ax2.set_xlabel("share of plain instruction data in each batch")
    ax2.set_ylabel("math tokens per answer")
    ax2.set_ylim(bottom=0)
    ax3 = ax2.twinx()
    ax3.plot(xs, [r["think/usage"] for r in rows], "s--", color="tab:gray")
    ax3.set_ylabel("share of math answers that think (dashed)")
    ax3.set_ylim(0, 1.05)
    fig.suptitle("Mixing the tutor's traces with plain instruction data")
    fig.tight_layout()
    return fig


def plot_budget(rows: Rows, tutor: Mapping[str, Any]) -> Figure:
    """Greedy pass rate of the distilled students against their distillation budget."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    sizes = sorted({r["size"] for r in rows}, key=lambda s: s != "quarter")
    for size in sizes:
        pts = sorted(
            (r["budget_multiple"], r["pass_rate"])
            for r in rows
            if r["size"] == size and r["arm"] in ("distill", "base")
        )
        params = next(r["params"] for r in rows if r["size"] == size)
        ax.plot(*zip(*pts, strict=True), "o-", label=f"{size} student ({params:,} params)")
    ax.axhline(tutor["pass_rate"], color="black", label=f"tutor ({tutor['params']:,} params)")
    ax.axhline(0.9 * tutor["pass_rate"], color="black", ls=":", label="90% of the tutor")
    ax.set_xscale("symlog", linthresh=1.0)
    ticks = sorted({r["budget_multiple"] for r in rows if r["arm"] in ("distill", "base")})
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("distillation compute (multiples of the student's RLVR run, FLOPs)")
    ax.set_ylabel("held-out pass rate, greedy")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title("How much distillation a student needs")
    fig.tight_layout()
    return fig
