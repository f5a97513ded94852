"""Figures of the training notebooks' comparisons, drawn from :mod:`reasonlab.experiments` tables.

Single-run curves live in :mod:`reasonlab.plotting`; this module adds the side-by-side views
(small multiples: one panel per metric or per run) and the bar charts of the tables. Every
function returns a Figure and never shows it. Figures are built without pyplot, so a notebook
shows each one once, as the cell's value (pyplot figures are also shown by the inline backend).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from .plotting import LABELS, _series

LEVELS = (1, 2, 3, 4)


def _label(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    head, _, tail = key.rpartition("/d")
    if head in LABELS and tail.isdigit():
        return f"{LABELS[head]}, {tail} digit(s)"
    return key


def plot_runs_panels(
    runs: Mapping[str, Sequence[Mapping]],
    keys: Sequence[str],
    *,
    x: str = "step",
    title: str | None = None,
    ncols: int = 2,
) -> Figure:
    """One panel per metric, one line per run (``{label: history}``), shared x axis."""
    if not keys:
        raise ValueError("plot_runs_panels needs at least one key")
    nrows = -(-len(keys) // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        for label, hist in runs.items():
            xs, ys = _series(hist, key, x)
            if not xs:
                raise KeyError(f"run {label!r} never logged {key!r}")
            ax.plot(xs, ys, marker="o" if len(xs) < 15 else None, ms=3, label=label)
        ax.set_title(_label(key), fontsize=9)
        ax.set_xlabel("update step" if x == "step" else "training time (s)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_difficulty_panels(
    runs: Mapping[str, Sequence[Mapping]],
    prefix: str = "pass_rate/greedy",
    *,
    levels: Sequence[int] = LEVELS,
    title: str | None = None,
    ncols: int | None = None,
) -> Figure:
    """One panel per run, one line per difficulty: ``<prefix>/d<k>`` against the update step."""
    ncols = ncols or len(runs)
    nrows = -(-len(runs) // ncols)
    fig = Figure(figsize=(max(3.2 * ncols, 5.6), 2.8 * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    for ax, (label, hist) in zip(axes.flat, runs.items(), strict=False):
        for d in levels:
            xs, ys = _series(hist, f"{prefix}/d{d}")
            ax.plot(xs, ys, marker="o" if len(xs) < 15 else None, ms=3, label=f"{d} digit(s)")
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("update step", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(runs) :]:
        ax.axis("off")
    axes[0, 0].set_ylabel(_label(prefix), fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(title or f"{_label(prefix)} by difficulty", fontsize=11)
    return fig


def _bars(ax, groups: Sequence, series: Mapping[str, Sequence[float]]) -> None:
    width = 0.8 / max(1, len(series))
    for j, (label, vals) in enumerate(series.items()):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(groups))]
        ax.bar(xs, vals, width, label=label)
    ax.set_xticks(range(len(groups)), [str(g) for g in groups])
    ax.grid(alpha=0.3, axis="y")


def plot_behaviour(
    tables: Mapping[str, Sequence[Mapping]], *, title: str = "Behaviour by difficulty"
) -> Figure:
    """Left: how often each policy thinks; right: accuracy when it thinks and when it does not.

    Args:
        tables: ``{policy label: experiments.behaviour_by_difficulty(...)}``.
    """
    fig = Figure(figsize=(9.6, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    levels = [r["difficulty"] for r in next(iter(tables.values())) if r["difficulty"] != "all"]
    _bars(
        ax1,
        levels,
        {
            name: [r["think/usage"] for r in t if r["difficulty"] != "all"]
            for name, t in tables.items()
        },
    )
    ax1.set_ylabel("share of samples that think")
    ax1.set_xlabel("difficulty (digits per operand)")
    ax1.set_ylim(0, 1)
    series = {}
    for name, t in tables.items():
        rows = [r for r in t if r["difficulty"] != "all"]
        prefix = f"{name}: " if len(tables) > 1 else ""
        series[f"{prefix}thinking"] = [r["pass_rate/think"] for r in rows]
        series[f"{prefix}direct answer"] = [r["pass_rate/direct"] for r in rows]
    _bars(ax2, levels, series)
    ax2.set_ylabel("pass rate of those samples")
    ax2.set_xlabel("difficulty (digits per operand)")
    ax2.set_ylim(0, 1)
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_gradient_variance(table: Sequence[Mapping], *, title: str | None = None) -> Figure:
    """Left: total variance of the gradient estimate per baseline; right: signal-to-noise."""
    fig = Figure(figsize=(9.6, 3.4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    names = [r["baseline"] for r in table]
    ax1.bar(names, [r["var/total"] for r in table], color="tab:red")
    ax1.set_yscale("log")
    ax1.set_ylabel("total variance of the gradient")
    ax2.bar(names, [r["snr"] for r in table], color="tab:green")
    ax2.set_ylabel("signal-to-noise: |mean|² / variance")
    for ax in (ax1, ax2):
        ax.set_xlabel("baseline")
        ax.grid(alpha=0.3, axis="y")
        ax.tick_params(labelsize=8)
    fig.suptitle(
        title or "Gradient noise of one batch, same samples for every baseline", fontsize=11
    )
    return fig


def plot_advantages(table: Sequence[Mapping], *, title: str | None = None) -> Figure:
    """Mean advantage of thinking and of direct samples per difficulty, one panel per baseline.

    Args:
        table: rows of :func:`reasonlab.experiments.advantage_by_difficulty`.
    """
    baselines = list(dict.fromkeys(r["baseline"] for r in table))
    fig = Figure(figsize=(4.4 * len(baselines), 3.3), layout="constrained")
    axes = fig.subplots(1, len(baselines), sharey=True)
    axes = [axes] if len(baselines) == 1 else list(axes)
    for ax, b in zip(axes, baselines, strict=True):
        rows = [r for r in table if r["baseline"] == b]
        _bars(
            ax,
            [r["difficulty"] for r in rows],
            {
                "thinking samples": [r["adv/think"] for r in rows],
                "direct answers": [r["adv/direct"] for r in rows],
            },
        )
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"baseline = {b!r}", fontsize=9)
        ax.set_xlabel("difficulty (digits per operand)")
    axes[0].set_ylabel("mean advantage (push up > 0)")
    axes[0].legend(fontsize=8)
    fig.suptitle(title or "Where the update pushes, by difficulty", fontsize=11)
    return fig


def plot_final_by_difficulty(
    runs: Mapping[str, Sequence[Mapping]],
    prefixes: Sequence[str],
    *,
    levels: Sequence[int] = LEVELS,
    title: str | None = None,
) -> Figure:
    """Grouped bars of ``<prefix>/d<k>`` from each run's last row, one panel per prefix."""
    fig = Figure(figsize=(4.8 * len(prefixes), 3.8), layout="constrained")
    axes = fig.subplots(1, len(prefixes), squeeze=False)[0]
    for ax, prefix in zip(axes, prefixes, strict=True):
        series = {
            label: [h[-1].get(f"{prefix}/d{d}", float("nan")) for d in levels]
            for label, h in runs.items()
        }
        _bars(ax, list(levels), series)
        ax.set_title(_label(prefix), fontsize=9)
        ax.set_xlabel("difficulty (digits per operand)", fontsize=8)
        ax.tick_params(labelsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(runs), fontsize=8)
    fig.suptitle(title or "After training, by difficulty", fontsize=11)
    return fig
