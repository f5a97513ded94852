"""Figures of notebook 12 (credit assignment), from :mod:`reasonlab.shipped.credit_seeds` data.

Every function returns a Figure and never shows it (built without pyplot, so a notebook shows
each once, as the cell's value). Curves over seeds are the mean with a band of the 95%
t-interval (:func:`reasonlab.core.stats.mean_ci`) at every evaluated update.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from ..core.stats import mean_ci

X_LABELS = {
    "step": "update step",
    "generated_tokens": "generated tokens (rollouts + value rollouts)",
    "wall_s": "training time (s, one thread)",
}
LABELS = {
    "pass_rate/greedy": "held-out pass rate (greedy)",
    "pass_rate/sampled": "held-out pass rate (one sample)",
    "probe/len_right": "tokens of right answers",
    "probe/len_wrong": "tokens of wrong answers",
    "probe/think": "share of answers that think",
    "probe/len_think": "tokens of thinking answers",
    "probe/len_direct": "tokens of direct answers",
    "probe/len": "tokens per answer",
    "probe/pass": "strict pass rate (one sample)",
}


def _evals(hist: Sequence[Mapping], key: str, x: str) -> dict:
    """``{step: (x, value)}`` at the evaluated updates of one history."""
    return {
        r["step"]: (r[x], float(r[key]))
        for r in hist
        if r.get("eval_step") == r["step"] and r.get(key) is not None
    }


def band_over_seeds(seeds: Mapping[int, Sequence[Mapping]], key: str, x: str = "step") -> dict:
    """Mean and 95% interval of ``key`` at each update every seed evaluated; ``x`` is the mean
    over seeds of that update's ``x`` (tokens and time differ from seed to seed)."""
    per = [_evals(h, key, x) for h in seeds.values()]
    steps = sorted(set.intersection(*(set(p) for p in per)))
    out: dict[str, list] = {"step": steps, "x": [], "mean": [], "lo": [], "hi": []}
    for s in steps:
        iv = mean_ci([p[s][1] for p in per])
        out["x"].append(sum(p[s][0] for p in per) / len(per))
        out["mean"].append(iv.mean)
        out["lo"].append(iv.lo)
        out["hi"].append(iv.hi)
    return out


def _draw_band(ax, seeds, key, x, label):
    b = band_over_seeds(seeds, key, x)
    (line,) = ax.plot(b["x"], b["mean"], marker="o", ms=3, label=label)
    ax.fill_between(b["x"], b["lo"], b["hi"], color=line.get_color(), alpha=0.18, lw=0)


def _style(ax, title, xlabel):
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)


def _note(arms: Mapping) -> str:
    n = len(next(iter(arms.values())))
    return f"mean of {n} paired seeds, band: 95% t-interval"


def plot_efficiency(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    key: str = "pass_rate/sampled",
    xs: Sequence[str] = ("step", "generated_tokens", "wall_s"),
) -> Figure:
    """One panel per x axis (updates, generated tokens, training time), one band per method."""
    fig = Figure(figsize=(4.3 * len(xs), 3.3), layout="constrained")
    axes = fig.subplots(1, len(xs), squeeze=False)[0]
    for ax, x in zip(axes, xs, strict=True):
        for label, seeds in arms.items():
            _draw_band(ax, seeds, key, x, label)
        _style(ax, f"{LABELS.get(key, key)} against {X_LABELS[x].split(' (')[0]}", X_LABELS[x])
    axes[0].legend(fontsize=7)
    fig.suptitle(_note(arms), fontsize=9)
    return fig


def plot_length_bias(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]],
    keys: Sequence[str] = ("probe/len_right", "probe/len_wrong", "probe/think", "probe/len_think"),
) -> Figure:
    """One panel per length statistic over updates, one band per loss normalisation."""
    fig = Figure(figsize=(4.0 * len(keys), 3.2), layout="constrained")
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys, strict=True):
        for label, seeds in arms.items():
            _draw_band(ax, seeds, key, "step", label)
        _style(ax, LABELS.get(key, key), X_LABELS["step"])
    axes[0].legend(fontsize=7)
    fig.suptitle("Held-out samples, one per problem; " + _note(arms), fontsize=9)
    return fig


def plot_step_credit(rows: Sequence[Mapping], methods: Sequence[str], *, ncols: int = 2) -> Figure:
    """One panel per completion: each method's advantage of every segment beside the true one
    (grouped bars; the first wrong step shaded)."""
    n = len(rows)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(5.2 * ncols, 2.9 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    width = 0.8 / len(methods)
    for ax, row in zip(axes.flat, rows, strict=False):
        segs = len(row["true"])
        if row.get("first_wrong") is not None:
            j = row["first_wrong"]
            ax.axvspan(j - 0.45, j + 0.45, color="tab:red", alpha=0.08, lw=0)
        for i, m in enumerate(methods):
            ax.bar([s - 0.4 + width * (i + 0.5) for s in range(segs)], row[m], width, label=m)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(range(segs))
        ax.set_xticklabels([f"step {s}" if s < segs - 1 else "answer" for s in range(segs)])
        text = textwrap.fill(f"{row['prompt']}{row['completion']}", 62)
        _style(ax, f"{text}  (reward {row['reward']:.0f})", "segment")
        ax.title.set_fontsize(8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    axes.flat[0].set_ylabel("advantage", fontsize=8)
    return fig


def plot_critic(rows_by_steps: Mapping[int, Mapping], references: Mapping[str, Mapping]) -> Figure:
    """The value model's step-value correlation with the truth (and its 95% interval over
    seeds) after each number of warm-up steps; the other methods' as horizontal lines."""
    fig = Figure(figsize=(5.6, 3.3), layout="constrained")
    ax = fig.subplots()
    steps = sorted(rows_by_steps)
    ivs = [rows_by_steps[s]["corr_ci"] for s in steps]
    ax.errorbar(
        steps,
        [iv.mean for iv in ivs],
        yerr=[[iv.mean - iv.lo for iv in ivs], [iv.hi - iv.mean for iv in ivs]],
        marker="o",
        capsize=3,
        label="ppo_gae (value model)",
    )
    for name, row in references.items():
        (line,) = ax.plot([], [])
        iv = row["corr_ci"]
        ax.axhline(iv.mean, ls="--", lw=1, color=line.get_color(), label=name)
        ax.axhspan(iv.lo, iv.hi, color=line.get_color(), alpha=0.1, lw=0)
    _style(ax, "Correlation of step advantages with the true ones", "value-model warm-up steps")
    ax.set_ylabel("Pearson r (mean over seeds)", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def plot_overoptimisation(hacking: Mapping[str, Mapping[str, Mapping[int, Sequence[Mapping]]]]):
    """One panel per proxy: the held-out proxy reward against the strict pass rate at every
    evaluation (mean over seeds, arrows run forward in training), one line per KL brake."""
    fig = Figure(figsize=(4.2 * len(hacking), 3.6), layout="constrained")
    axes = fig.subplots(1, len(hacking), squeeze=False)[0]
    for ax, (proxy, brakes) in zip(axes, hacking.items(), strict=True):
        for brake, seeds in brakes.items():
            px = band_over_seeds(seeds, f"probe/reward/{proxy}")
            tr = band_over_seeds(seeds, "probe/pass")
            (line,) = ax.plot(px["mean"], tr["mean"], marker="o", ms=3, label=brake)
            ax.annotate(
                "",
                xy=(px["mean"][-1], tr["mean"][-1]),
                xytext=(px["mean"][-2], tr["mean"][-2]),
                arrowprops={"arrowstyle": "->", "color": line.get_color()},
            )
            ax.plot(px["mean"][:1], tr["mean"][:1], "s", color=line.get_color(), ms=5)
        lo = min(ax.get_xlim()[0], ax.get_ylim()[0])
        ax.plot([lo, 1], [lo, 1], color="grey", lw=0.6, ls=":", label="proxy = truth")
        _style(ax, f"proxy: {proxy}", f"held-out {proxy} reward (one sample)")
        ax.set_ylabel("strict verifier pass rate", fontsize=8)
        ax.legend(fontsize=7)
    n = len(next(iter(next(iter(hacking.values())).values())))
    fig.suptitle(f"Square: before training; mean of {n} seeds at every evaluation", fontsize=9)
    return fig
