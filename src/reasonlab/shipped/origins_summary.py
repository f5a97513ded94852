"""Tables, figures and the benchmark JSON of notebook 13, from :func:`.origins.load`.

Every function takes the loaded results (``{item: {seed: result}}``) and returns rows (lists of
dicts whose metrics are :class:`reasonlab.core.stats.Interval` over the paired seeds), a matplotlib
Figure, or plain JSON; none of them displays anything. A difference between two settings is
always the per-seed (paired) difference, so what a seed's base adds to both sides cancels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ..core import stats
from ..core.stats import Interval
from . import origins

Results = Mapping[str, Mapping[int, Mapping]]
LEVELS = origins.LEVELS
GREEDY = "pass_rate/greedy"
SAMPLED = "pass_rate/sampled"
THINK = "eval/think/usage"


def _seeds(data: Results, item: str) -> list[int]:
    return sorted(data[item])


def _ci(values: Sequence[float]) -> Interval:
    return stats.mean_ci([float(v) for v in values])


def _pair(data: Results, a: str, b: str, get) -> Interval:
    """Paired difference ``get(a) - get(b)`` over the seeds both items have."""
    seeds = sorted(set(data[a]) & set(data[b]))
    return stats.paired_difference(
        [get(data[a][s]) for s in seeds], [get(data[b][s]) for s in seeds]
    )


# ----------------------------------------------------------------------------- 1. prior


def prior_rows(data: Results) -> list[dict]:
    """Per ``think_frac``: the base (thinking share, pass@1 and pass@k of its samples, pass@k
    counting thinking samples only) and the RL run (greedy and sampled held-out pass after,
    its gain over the base, thinking share after)."""
    rows = []
    for f in origins.THINK_FRACS:
        runs = data[f"prior-t{f:g}"]
        seeds = sorted(runs)

        def col(get, runs=runs, seeds=seeds):
            return _ci([get(runs[s]) for s in seeds])

        rows.append(
            {
                "think_frac": f,
                "seeds": len(seeds),
                "base_think": col(lambda r: r["base"]["think"]),
                "base_pass1": col(lambda r: r["base"]["pass1"]),
                "base_pass1_d1": col(lambda r: r["base"]["pass1/d1"]),
                "base_pass_k": col(lambda r: r["base"]["pass_k"]),
                "base_pass_k_think": col(lambda r: r["base"]["pass_k_think"]),
                "base_greedy": col(lambda r: r["rl"]["before"][GREEDY]),
                "rl_pass": col(lambda r: r["rl"]["after"][GREEDY]),
                "rl_sampled": col(lambda r: r["rl"]["after"][SAMPLED]),
                "rl_gain": col(lambda r: r["rl"]["after"][GREEDY] - r["rl"]["before"][GREEDY]),
                "rl_sampled_gain": col(lambda r: r["rl"]["after"][SAMPLED] - r["base"]["pass1"]),
                "rl_think": col(lambda r: r["rl"]["after"][THINK]),
                "rl_tokens": col(lambda r: r["rl"]["after"]["tokens"]),
            }
        )
    return rows


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


# ----------------------------------------------------------------------------- 2. controls


def controls_rows(data: Results) -> list[dict]:
    """Per reward (the verifier first): held-out greedy pass before and after, the paired
    change, the sampled pass and thinking share after, and the verifier's acceptance of the
    training samples in the last five steps."""
    items = {"verifier": "prior-t0.3", **{r: f"controls-{r}" for r in origins.CONTROLS}}
    rows = []
    for reward, item in items.items():
        runs = data[item]
        seeds = sorted(runs)

        def col(get, runs=runs, seeds=seeds):
            return _ci([get(runs[s]) for s in seeds])

        def accepted(r):
            col_ = r["rl"]["train"]["reward/verified"]
            vals = col_ if col_[0] is not None else r["rl"]["train"]["reward/mean"]
            return sum(vals[-5:]) / 5

        rows.append(
            {
                "reward": reward,
                "seeds": len(seeds),
                "pass_before": col(lambda r: r["rl"]["before"][GREEDY]),
                "pass_after": col(lambda r: r["rl"]["after"][GREEDY]),
                "change": col(lambda r: r["rl"]["after"][GREEDY] - r["rl"]["before"][GREEDY]),
                "sampled_before": col(lambda r: r["rl"]["before"][SAMPLED]),
                "sampled_after": col(lambda r: r["rl"]["after"][SAMPLED]),
                "sampled_change": col(
                    lambda r: r["rl"]["after"][SAMPLED] - r["rl"]["before"][SAMPLED]
                ),
                "think_after": col(lambda r: r["rl"]["after"][THINK]),
                "verified_last5": col(accepted),
            }
        )
    return rows


def controls_figure(data: Results) -> Figure:
    """The verifier's acceptance of the training samples at every step, per reward (mean over
    seeds with its 95% band), and the held-out sampled pass before and after."""
    items = {"verifier": "prior-t0.3", **{r: f"controls-{r}" for r in origins.CONTROLS}}
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for reward, item in items.items():
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


# ----------------------------------------------------------------------------- 3. narrow


def narrow_rows(data: Results) -> list[dict]:
    """Per prompt-set size and method: pass on the practised prompts (8 samples each) before
    and after, held-out greedy pass after, overall and per difficulty, thinking share, time."""
    rows = []
    for n in origins.NARROW_SIZES:
        runs = data[f"narrow-{n}"]
        seeds = sorted(runs)
        for m in origins.NARROW_METHODS:

            def col(get, runs=runs, seeds=seeds, m=m):
                return _ci([get(runs[s][m]) for s in seeds])

            row = {
                "prompts": n,
                "method": m,
                "seeds": len(seeds),
                "practised_before": col(lambda r: r["practised_before"]["pass"]),
                "practised": col(lambda r: r["practised"]["pass"]),
                "held_out": col(lambda r: r["held_out"][GREEDY]),
                **{
                    f"held_out d{d}": col(lambda r, d=d: r["held_out"][f"{GREEDY}/d{d}"])
                    for d in LEVELS
                },
                "held_out_sampled": col(lambda r: r["held_out"][SAMPLED]),
                "think": col(lambda r: r["held_out"][THINK]),
                "seconds": col(lambda r: r["seconds"]),
            }
            rows.append(row)
    return rows


def narrow_differences(data: Results) -> list[dict]:
    """RL minus SFT, paired by seed, per size: practised and held-out pass."""
    rows = []
    for n in origins.NARROW_SIZES:
        runs = data[f"narrow-{n}"]
        seeds = sorted(runs)
        for key, get in (
            ("practised", lambda r: r["practised"]["pass"]),
            ("held_out", lambda r: r["held_out"][GREEDY]),
        ):
            iv = stats.paired_difference(
                [get(runs[s]["rl"]) for s in seeds], [get(runs[s]["sft"]) for s in seeds]
            )
            rows.append(
                {
                    "prompts": n,
                    "metric": key,
                    "rl - sft": iv,
                    "distinguishable": "yes" if iv.excludes_zero else "no",
                }
            )
    return rows


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


# ----------------------------------------------------------------------------- 4. checks

CHECK_KEYS = ("checks_per_step", "caught", "false_alarms", "fixed", "step_error_rate")


def check_items() -> list[tuple[str, float, str]]:
    """``(item, check_rate, style)`` of every checks run: the ``redo`` rates, then the book's
    own base with its ``subtract`` checks at the recipe's rate."""
    from .zoo import default_sft_config

    out = [(f"checks-c{c:g}", c, origins.CHECK_STYLE if c else "none") for c in origins.CHECK_RATES]
    book = default_sft_config().check_rate
    return [*out, (f"checks-{origins.BOOK_CHECKS}", book, origins.BOOK_CHECKS)]


def checks_rows(data: Results) -> list[dict]:
    """Per checks run (:func:`check_items`): the base's checks and how they judge (caught
    errors, false alarms, fixes), the same after RL, and pass and tokens after RL."""
    rows = []
    for item, c, style in check_items():
        runs = data[item]
        seeds = sorted(runs)

        def col(get, runs=runs, seeds=seeds):
            vals = [get(runs[s]) for s in seeds]
            # no check to judge (nan) on a seed: that seed has no value
            vals = [v for v in vals if v is not None and math.isfinite(v)]
            return _ci(vals) if len(vals) >= 2 else None

        row = {"check_rate": c, "style": style, "seeds": len(seeds)}
        for k in CHECK_KEYS:
            row[f"base {k}"] = col(lambda r, k=k: r["base"][k])
            row[f"after {k}"] = col(lambda r, k=k: r["after"][k])
        row["base pass"] = col(lambda r: r["base"]["pass1"])
        row["after pass"] = col(lambda r: r["after"]["pass1"])
        row["after greedy"] = col(lambda r: r["rl"]["after"][GREEDY])
        row["base tokens"] = col(lambda r: r["base"]["tokens"])
        row["after tokens"] = col(lambda r: r["after"]["tokens"])
        rows.append(row)
    return rows


def checks_differences(data: Results) -> list[dict]:
    """Each check rate minus rate 0, paired by seed, after RL: sampled pass, greedy pass,
    tokens per sample (what checking costs and what it buys)."""
    ref = "checks-c0"
    rows = []
    for item, c, style in check_items()[1:]:
        for key, get in (
            ("pass (sampled)", lambda r: r["after"]["pass1"]),
            ("pass (greedy)", lambda r: r["rl"]["after"][GREEDY]),
            ("tokens", lambda r: r["after"]["tokens"]),
        ):
            iv = _pair(data, item, ref, get)
            rows.append(
                {
                    "checks": f"{style} at {c:g}",
                    "metric": key,
                    "minus no checks": iv,
                    "distinguishable": "yes" if iv.excludes_zero else "no",
                }
            )
    return rows


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


def benchmark(data: Results) -> dict:
    """The JSON of ``benchmarks/origins.py --json`` (the issue's schema, means over seeds)."""
    seeds = sorted(set.intersection(*(set(v) for v in data.values())))
    prior = [
        {
            "think_frac": r["think_frac"],
            "base_think": _num(r["base_think"]),
            "base_pass_k_think": _num(r["base_pass_k_think"]),
            "rl_pass": _iv(r["rl_pass"]),
            "rl_gain": _iv(r["rl_gain"]),
            "rl_think": _num(r["rl_think"]),
        }
        for r in prior_rows(data)
    ]
    controls = {
        r["reward"]: {
            "pass_before": _num(r["pass_before"]),
            "pass_after": _iv(r["pass_after"]),
            "sampled_after": _iv(r["sampled_after"]),
        }
        for r in controls_rows(data)
    }
    narrow = [
        {
            "prompts": r["prompts"],
            "method": r["method"],
            "practised": _num(r["practised"]),
            "held_out": _num(r["held_out"]),
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
