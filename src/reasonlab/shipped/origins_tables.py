"""The tables of notebook 13, from :func:`.origins.load`: one row per setting, each metric an
:class:`reasonlab.core.stats.Interval` over the paired seeds, and the paired differences.

Every function takes the loaded results (``{item: {seed: result}}``) and returns rows (lists of
dicts). A difference between two settings is always the per-seed (paired) difference, so what a
seed's base adds to both sides cancels. The figures and the benchmark JSON drawn from these rows
are :mod:`reasonlab.shipped.origins_summary`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..core import stats
from ..core.stats import Interval
from . import origins
from .seed_tables import difference_row

Results = Mapping[str, Mapping[int, Mapping]]
LEVELS = origins.LEVELS
GREEDY = "pass_rate/greedy"
SAMPLED = "pass_rate/sampled"
THINK = "eval/think/usage"


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


# ----------------------------------------------------------------------------- 2. controls


def control_items() -> dict[str, str]:
    """``{reward: item}`` of the controls: the verifier's own run first, then each control."""
    return {"verifier": "prior-t0.3", **{r: f"controls-{r}" for r in origins.CONTROLS}}


def controls_rows(data: Results) -> list[dict]:
    """Per reward (the verifier first): held-out greedy pass before and after, the paired
    change, the sampled pass and thinking share after, and the verifier's acceptance of the
    training samples in the last five steps."""
    rows = []
    for reward, item in control_items().items():
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
            rows.append(difference_row({"prompts": n, "metric": key}, iv, "rl - sft"))
    return rows


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
            labels = {"checks": f"{style} at {c:g}", "metric": key}
            rows.append(difference_row(labels, _pair(data, item, ref, get), "minus no checks"))
    return rows
