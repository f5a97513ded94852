"""Training-curve figures drawn from histories (lists of dicts); they return a Figure.

Library code never shows a figure: notebooks display what these return.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..core.metrics import is_held_out

#: Readable axis labels for the metric names of :mod:`reasonlab.core.metrics`.
LABELS = {
    "reward/mean": "mean reward (training batch)",
    "pass_rate/greedy": "held-out pass rate, greedy",
    "pass_rate/sampled": "held-out pass rate, sampled",
    "think/usage": "share of completions that think",
    "eval/think/usage": "share that think (held-out)",
    "completion/mean_tokens": "completion length (tokens)",
    "eval/completion/mean_tokens": "completion length, held-out (tokens)",
    "frac_reward_zero_std": "share of groups without signal",
    "kl": "KL to the start (nats)",
    "entropy": "entropy per token (nats)",
    "grad_norm": "gradient norm",
    "coverage": "prompts solved at least once",
}


def _series(history: Sequence[Mapping], key: str, x: str = "step") -> tuple[list, list]:
    """(xs, ys) of the rows that measured ``key`` (evaluation rows only for held-out keys)."""
    xs, ys = [], []
    held_out = is_held_out(key)
    for row in history:
        if key not in row or row[key] is None:
            continue
        if held_out and row.get("eval_step", row.get(x)) != row.get(x):
            continue  # carried-forward copy of an earlier evaluation
        val = float(row[key])
        if math.isnan(val):
            continue
        xs.append(row[x])
        ys.append(val)
    return xs, ys


def plot_history(
    history: Sequence[Mapping],
    keys: Sequence[str] = ("pass_rate/greedy", "pass_rate/sampled", "think/usage"),
    *,
    x: str = "step",
    title: str = "RLVR training",
    ylabel: str | None = None,
) -> Figure:
    """Several metrics of one run against ``x`` (update step, or ``wall_s`` for seconds)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for key in keys:
        xs, ys = _series(history, key, x)
        if not xs:
            raise KeyError(f"no row of the history has {key!r}; keys: {sorted(history[-1])}")
        ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, ms=3, label=LABELS.get(key, key))
    ax.set_xlabel("update step" if x == "step" else "training time (s)")
    ax.set_ylabel(ylabel or (LABELS.get(keys[0], keys[0]) if len(keys) == 1 else "value"))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_runs(
    runs: Mapping[str, Sequence[Mapping]],
    key: str = "pass_rate/greedy",
    *,
    x: str = "step",
    title: str | None = None,
) -> Figure:
    """One metric for several runs (e.g. one per baseline), one line each."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for label, hist in runs.items():
        xs, ys = _series(hist, key, x)
        ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, ms=3, label=label)
    ax.set_xlabel("update step" if x == "step" else "training time (s)")
    ax.set_ylabel(LABELS.get(key, key))
    ax.set_title(title or LABELS.get(key, key))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_per_difficulty(
    history: Sequence[Mapping],
    prefix: str = "pass_rate/greedy",
    *,
    levels: Sequence[int] = (1, 2, 3, 4),
    title: str | None = None,
) -> Figure:
    """``<prefix>/d1`` .. ``/d4`` against the update step: one line per difficulty."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for d in levels:
        xs, ys = _series(history, f"{prefix}/d{d}")
        if xs:
            ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, ms=3, label=f"{d} digit(s)")
    ax.set_xlabel("update step")
    ax.set_ylabel(LABELS.get(prefix, prefix))
    ax.set_title(title or f"{LABELS.get(prefix, prefix)} by difficulty")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_difficulty_bars(
    metrics: Mapping[str, Mapping[str, float]],
    prefix: str = "pass_rate",
    *,
    levels: Sequence[int] = (1, 2, 3, 4),
    title: str | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Grouped bars: ``<prefix>/d<k>`` of several evaluations (``{label: evaluate(...)}``)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    width = 0.8 / max(1, len(metrics))
    for j, (label, m) in enumerate(metrics.items()):
        vals = [m.get(f"{prefix}/d{d}", float("nan")) for d in levels]
        ax.bar([d + (j - (len(metrics) - 1) / 2) * width for d in levels], vals, width, label=label)
    ax.set_xticks(list(levels))
    ax.set_xlabel("difficulty (digits per operand)")
    ax.set_ylabel(ylabel or LABELS.get(prefix, prefix))
    ax.set_title(title or f"{prefix} by difficulty")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
