"""Figures of the training notebooks' comparisons, from :mod:`reasonlab.shipped.experiments`.

Single-run curves live in :mod:`reasonlab.plots.history`; this module adds the side-by-side views
(small multiples: one panel per metric or per run) and the bar charts of the tables. Every
function returns a Figure and never shows it. Figures are built without pyplot, so a notebook
shows each one once, as the cell's value (pyplot figures are also shown by the inline backend).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

from .history import LABELS, _series

LEVELS = (1, 2, 3, 4)


def _label(key: str) -> str:
    if key in LABELS:
        return LABELS[key]
    head, _, tail = key.rpartition("/d")
    if head in LABELS and tail.isdigit():
        return f"{LABELS[head]}, {tail} digit(s)"
    return key


def _line(ax, hist: Sequence[Mapping], key: str, x: str, label: str, required: bool) -> None:
    """One run's curve of ``key``."""
    xs, ys = _series(hist, key, x)
    if required and not xs:
        raise KeyError(f"run {label!r} never logged {key!r}")
    ax.plot(xs, ys, marker="o" if len(xs) < 15 else None, ms=3, label=label)


def _band_rows(hist: Sequence[Mapping], key: str, x: str = "step") -> list[dict]:
    """The rows of one history that measured ``key`` (not carried-forward copies)."""
    xs, ys = _series(hist, key, x)
    return [{x: a, key: b} for a, b in zip(xs, ys, strict=True)]


def _band(ax, seeds: Mapping[int, Sequence[Mapping]], key: str, x: str, label: str, required: bool):
    """Several seeds' curves of ``key``: their mean, and the 95% t-interval as a band."""
    from ..core.stats import band

    if not any(_series(h, key, x)[0] for h in seeds.values()):
        if required:
            raise KeyError(f"arm {label!r} never logged {key!r}")
        return
    b = band([_band_rows(h, key, x) for h in seeds.values()], key, x=x)
    marker = "o" if len(b["x"]) < 15 else None
    (line,) = ax.plot(b["x"], b["mean"], marker=marker, ms=3, label=label)
    ax.fill_between(b["x"], b["lo"], b["hi"], color=line.get_color(), alpha=0.18, lw=0)


def _seeds_note(arms: Mapping[str, Mapping], what: str = "band") -> str:
    n = len(next(iter(arms.values())))
    return f"mean of {n} paired seeds, {what}: 95% t-interval"


def _metric_grid(runs: Mapping, keys: Sequence[str], draw, *, x: str, ncols: int) -> Figure:
    """One panel per metric, one ``draw(ax, run, key, x, label, required)`` per run."""
    if not keys:
        raise ValueError("a panel figure needs at least one key")
    nrows = -(-len(keys) // ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.0 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        for label, run in runs.items():
            draw(ax, run, key, x, label, True)
        ax.set_title(_label(key), fontsize=9)
        ax.set_xlabel("update step" if x == "step" else "training time (s)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    return fig


def _difficulty_grid(
    runs: Mapping, prefix: str, levels: Sequence[int], draw, ncols: int | None
) -> Figure:
    """One panel per run, one ``draw`` per difficulty of ``<prefix>/d<k>``."""
    ncols = ncols or len(runs)
    nrows = -(-len(runs) // ncols)
    fig = Figure(figsize=(max(3.2 * ncols, 5.6), 2.8 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    for ax, (label, run) in zip(axes.flat, runs.items(), strict=False):
        for d in levels:
            draw(ax, run, f"{prefix}/d{d}", "step", f"{d} digit(s)", False)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("update step", fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(runs) :]:
        ax.axis("off")
    axes[0, 0].set_ylabel(_label(prefix), fontsize=8)
    axes[0, 0].legend(fontsize=7)
    return fig


def plot_runs_panels(
    runs: Mapping[str, Sequence[Mapping]],
    keys: Sequence[str],
    *,
    x: str = "step",
    title: str | None = None,
    ncols: int = 2,
) -> Figure:
    """One panel per metric, one line per run (``{label: history}``), shared x axis."""
    fig = _metric_grid(runs, keys, _line, x=x, ncols=ncols)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_difficulty_panels(
    runs: Mapping[str, Sequence[Mapping]] | Mapping[str, Mapping[int, Sequence[Mapping]]],
    prefix: str = "pass_rate/greedy",
    *,
    levels: Sequence[int] = LEVELS,
    title: str | None = None,
    ncols: int | None = None,
) -> Figure:
    """One panel per run, one line per difficulty: ``<prefix>/d<k>`` against the update step.

    ``runs`` maps a label to one history, or to an arm over seeds (``{seed: history}``, as
    :func:`plot_difficulty_bands` takes): then each difficulty is a band, the mean over the
    seeds and its 95% t-interval.
    """
    over_seeds = isinstance(next(iter(runs.values())), Mapping)
    fig = _difficulty_grid(runs, prefix, levels, _band if over_seeds else _line, ncols)
    head = title or f"{_label(prefix)} by difficulty"
    if over_seeds:
        fig.suptitle(f"{head}\n{_seeds_note(runs)}", fontsize=10)
    else:
        fig.suptitle(head, fontsize=11)
    return fig


def _bars(
    ax, groups: Sequence, series: Mapping[str, Sequence[float]], errors: Mapping | None = None
) -> None:
    """Grouped bars; ``errors[label]`` (optional) is ``[below, above]`` as matplotlib's yerr."""
    width = 0.8 / max(1, len(series))
    for j, (label, vals) in enumerate(series.items()):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(groups))]
        err = (errors or {}).get(label)
        ax.bar(xs, vals, width, label=label, yerr=err, capsize=2 if err else 0)
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
        table: rows of :func:`reasonlab.shipped.experiments.advantage_by_difficulty`.
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


def _final_bars(runs: Mapping, prefixes: Sequence[str], levels: Sequence[int], cell) -> Figure:
    """One panel per prefix, grouped bars per difficulty; ``cell(run, key) -> (value, err)``
    with ``err`` None or ``(below, above)``."""
    fig = Figure(figsize=(4.8 * len(prefixes), 3.9), layout="constrained")
    axes = fig.subplots(1, len(prefixes), squeeze=False)[0]
    for ax, prefix in zip(axes, prefixes, strict=True):
        series, errors = {}, {}
        for label, run in runs.items():
            cells = [cell(run, f"{prefix}/d{d}") for d in levels]
            series[label] = [v for v, _ in cells]
            if all(e is not None for _, e in cells):
                errors[label] = [[e[0] for _, e in cells], [e[1] for _, e in cells]]
        _bars(ax, list(levels), series, errors)
        ax.set_title(_label(prefix), fontsize=9)
        ax.set_xlabel("difficulty (digits per operand)", fontsize=8)
        ax.tick_params(labelsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(runs), fontsize=8)
    return fig


def plot_final_by_difficulty(
    runs: Mapping[str, Sequence[Mapping]],
    prefixes: Sequence[str],
    *,
    levels: Sequence[int] = LEVELS,
    title: str | None = None,
) -> Figure:
    """Grouped bars of ``<prefix>/d<k>`` from each run's last row, one panel per prefix."""
    fig = _final_bars(runs, prefixes, levels, lambda h, k: (h[-1].get(k, float("nan")), None))
    fig.suptitle(title or "After training, by difficulty", fontsize=11)
    return fig


# ----------------------------------------------------------------------------- over seeds


def plot_bands(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    keys: Sequence[str],
    *,
    x: str = "step",
    title: str | None = None,
    ncols: int = 2,
) -> Figure:
    """One panel per metric, one curve per arm: the mean over seeds and its 95% t-interval.

    Args:
        arms: ``{label: {seed: history}}`` (the same seeds in every arm).
        keys: metrics; held-out ones are drawn at their evaluated steps only.
    """
    fig = _metric_grid(arms, keys, _band, x=x, ncols=ncols)
    fig.suptitle((title + "\n" if title else "") + _seeds_note(arms), fontsize=10)
    return fig


def plot_difficulty_bands(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    prefix: str = "pass_rate/greedy",
    **options: Any,
) -> Figure:
    """One panel per arm, one band per difficulty: ``<prefix>/d<k>`` over seeds (the figure of
    :func:`plot_difficulty_panels` for arms over seeds, with its keyword options)."""
    return plot_difficulty_panels(arms, prefix, **options)


def plot_final_by_difficulty_ci(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    prefixes: Sequence[str],
    *,
    levels: Sequence[int] = LEVELS,
    title: str | None = None,
) -> Figure:
    """Grouped bars of the final ``<prefix>/d<k>`` (mean over seeds) with 95% t-intervals."""
    from ..core.stats import mean_ci

    def cell(seeds, key):
        iv = mean_ci([h[-1][key] for h in seeds.values()])
        return iv.mean, (iv.mean - iv.lo, iv.hi - iv.mean)

    fig = _final_bars(arms, prefixes, levels, cell)
    head = title or "After training, by difficulty"
    fig.suptitle(f"{head}\n{_seeds_note(arms, 'whiskers')}", fontsize=10)
    return fig


# ----------------------------------------------------------------------------- tables over seeds


def show_arms(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    columns: Sequence,
    *,
    caption: str | None = None,
    label: str = "arm",
    digits: int = 3,
):
    """The table of :func:`reasonlab.shipped.seed_tables.arm_table`: mean [95% t-interval]."""
    from ..core.tables import show
    from ..shipped import seed_tables as st

    rows = st.arm_table(arms, columns, label=label)
    n = len(next(iter(arms.values())))
    head = f"{caption}: " if caption else ""
    return show(
        rows,
        [label, *(st.column(c)[2] for c in columns)],
        digits=digits,
        caption=f"{head}mean over {n} paired seeds [95% t-interval]",
    )


def show_differences(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    reference: str,
    columns: Sequence,
    *,
    caption: str | None = None,
    digits: int = 3,
):
    """Paired differences to ``reference``
    (:func:`~reasonlab.shipped.seed_tables.difference_table`)
    with the interval and whether it excludes zero."""
    from ..core.tables import show
    from ..shipped import seed_tables as st

    rows = st.difference_table(arms, reference, columns)
    n = len(next(iter(arms.values())))
    head = f"{caption}: " if caption else ""
    return show(
        rows,
        ["arm", "metric", "difference", "distinguishable"],
        digits=digits,
        headers={
            "difference": "paired difference [95% CI]",
            "distinguishable": f"distinguishable at {n} seeds?",
        },
        caption=f"{head}per-seed differences to {reference!r}, t-interval over {n} seeds",
    )


def show_spread(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    key: str = "pass_rate/greedy",
    *,
    at="final",
    digits: int = 3,
):
    """Each arm's per-seed values of ``key``, their range and standard deviation."""
    from ..core.tables import show
    from ..shipped import seed_tables as st

    rows = st.spread_table(arms, key, at=at)
    columns = list(rows[0])
    return show(rows, columns, digits=digits, caption=f"{st.column((key, at))[2]}, seed by seed")
