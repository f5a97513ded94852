"""Figures of notebook 01's bandit (:mod:`reasonlab.measurement.bandit`): learning curves over
runs and the variance of each baseline's gradient estimate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

_LABELS = {
    "pass_rate": "pass rate J(θ) (fraction)",
    "pass_rate/greedy": "greedy pass rate (fraction)",
    "grad_var": "‖ĝ − ∇J‖² (gradient variance)",
    "reward/mean": "mean sampled reward",
    "grad_norm": "‖ĝ‖",
    "frac_reward_zero_std": "groups with a single verdict (fraction)",
    "frac_all_wrong": "groups with every answer wrong (fraction)",
}


def plot_runs(
    runs: dict[str, Sequence[Sequence[dict[str, float]]]],
    keys: Sequence[str] = ("pass_rate", "grad_var"),
    log_keys: Sequence[str] = ("grad_var",),
) -> Figure:
    """Learning curves: for each label the mean over runs (line) and the interquartile band.

    Args:
        runs: ``{label: [history, ...]}``, several seeded runs per label.
        keys: history metrics to plot, one panel each, against ``step``.
        log_keys: metrics drawn on a log scale.

    Returns:
        A matplotlib Figure (not shown).
    """
    fig = Figure(figsize=(5 * len(keys), 3.6), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys, strict=True):
        for label, histories in runs.items():
            if not histories:
                raise ValueError(f"runs[{label!r}] is empty")
            rows = [[(h["step"], h[key]) for h in hist if key in h] for hist in histories]
            steps = np.array([s for s, _ in rows[0]])
            values = np.array([[v for _, v in row] for row in rows])  # (runs, steps)
            (line,) = ax.plot(steps, values.mean(axis=0), label=f"{label} (mean of {len(rows)})")
            ax.fill_between(
                steps,
                np.percentile(values, 25, axis=0),
                np.percentile(values, 75, axis=0),
                alpha=0.2,
                lw=0,
                color=line.get_color(),
            )
        ax.set_xlabel("training step")
        ax.set_ylabel(_LABELS.get(key, key))
        ax.set_yscale("log" if key in log_keys else "linear")
        ax.set_title(
            f"{_LABELS.get(key, key)}\nline: mean over runs, band: 25th to 75th percentile"
        )
        ax.legend(fontsize="small")
    return fig


def plot_variance_sweep(sweeps: dict[str, Sequence[dict[str, float]]]) -> Figure:
    """Variance-reduction factor ``var/none / var/<baseline>`` against the base model's pass rate.

    Args:
        sweeps: ``{label: rows of variance_sweep}``, e.g. one label per number of correct forms.

    Returns:
        A matplotlib Figure (not shown); above the dotted line at 1 the baseline helps.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    fig = Figure(figsize=(6, 3.8), layout="constrained")
    ax = fig.subplots()
    for label, rows in sweeps.items():
        x = [r["pass_rate"] for r in rows]
        for baseline, marker in (("mean", "o"), ("loo", "s")):
            factor = [r["var/none"] / r[f"var/{baseline}"] for r in rows]
            ax.plot(x, factor, marker=marker, label=f"{label}, b = {baseline}")
    ax.axhline(1.0, color="gray", ls=":", lw=1)
    ax.set_yscale("log")
    # Plain factors (0.5, 2, 4) read better than powers of ten on a range this short.
    ax.yaxis.set_major_locator(FixedLocator([0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("pass rate of the policy J(θ) (fraction)")
    ax.set_ylabel("variance without / with baseline (×)")
    ax.set_title("Where a baseline reduces the gradient variance")
    ax.legend(fontsize="small")
    return fig
