"""The summaries of notebook 12's shipped runs (:mod:`reasonlab.shipped.credit_seeds`): final
values per seed, the microscope pooled over seeds, the method table and paired differences with
95% t-intervals, and the benchmark's JSON (``benchmarks/credit.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..core import stats
from . import credit_microscope as cm
from .credit_seeds import CRITIC_STEPS, SEEDS, load_hacking, load_methods, load_microscope
from .seed_tables import difference_row


def final(runs: Mapping[int, Sequence[Mapping]], key: str) -> dict[int, float]:
    return {s: float(h[-1][key]) for s, h in sorted(runs.items())}


def pooled_microscope(scopes: Mapping[int, Mapping]) -> list[dict]:
    """The microscope summary over every seed's completions pooled, plus the per-seed
    step-value correlation's mean and 95% interval (``corr_ci``)."""
    table = [row for s in sorted(scopes) for row in scopes[s]["table"]]
    cost = {}
    for s in scopes.values():
        for k, v in s["cost"].items():
            cost[k] = cost.get(k, 0) + v
    methods = [r["method"] for r in next(iter(scopes.values()))["summary"]]
    rows = cm.summary(table, cost, methods)
    n_comp = len(table)
    for row in rows:
        corrs = [
            r["step_value_corr"]
            for s in scopes.values()
            for r in s["summary"]
            if r["method"] == row["method"]
        ]
        finite = [c for c in corrs if c is not None and math.isfinite(c)]
        row["corr_ci"] = stats.mean_ci(finite) if len(finite) == len(corrs) else None
        row["extra_tokens_per_completion"] = row["extra_tokens"] / n_comp
    return rows


#: Which microscope column stands for each trained method.
MICROSCOPE_OF = {
    "reinforce": "reinforce",
    "grpo": "grpo",
    "grpo_token_mean": "grpo",
    "dr_grpo": "dr_grpo",
    "ppo_gae": f"ppo_gae@{CRITIC_STEPS[-1]}",
    "vineppo": "vineppo",
}


def method_table(arms: Mapping[str, Mapping[int, Sequence[Mapping]]]) -> list[dict]:
    """Per method: final held-out greedy and sampled pass rates, generated tokens (millions),
    training time (s), each as a mean over seeds with its 95% t-interval."""
    rows = []
    for name, runs in arms.items():
        rows.append(
            {
                "method": name,
                "seeds": len(runs),
                "greedy pass": stats.mean_ci(list(final(runs, "pass_rate/greedy").values())),
                "sampled pass": stats.mean_ci(list(final(runs, "pass_rate/sampled").values())),
                "tokens (M)": stats.mean_ci(
                    [v / 1e6 for v in final(runs, "generated_tokens").values()]
                ),
                "train time (s)": stats.mean_ci(list(final(runs, "wall_s").values())),
            }
        )
    return rows


def difference_rows(
    arms: Mapping[str, Mapping[int, Sequence[Mapping]]], reference: str, keys: Sequence[str]
) -> list[dict]:
    """Paired differences ``method - reference`` of each key's final value."""
    ref = arms[reference]
    rows = []
    for name, runs in arms.items():
        if name == reference:
            continue
        for key in keys:
            a, b = final(runs, key), final(ref, key)
            iv = stats.paired_difference([a[s] for s in a], [b[s] for s in a])
            rows.append(difference_row({"pair": f"{name} - {reference}", "metric": key}, iv))
    return rows


def benchmark(arms=None, scopes=None, hacking=None, *, check: bool = True) -> dict:
    """The JSON of ``benchmarks/credit.py`` from the shipped files (or from what
    :func:`load_methods`, :func:`load_microscope` and :func:`load_hacking` already loaded)."""
    arms = arms if arms is not None else load_methods(check=check)
    scopes = scopes if scopes is not None else load_microscope(check=check)
    hack = hacking if hacking is not None else load_hacking(check=check)[0]
    scope = {r["method"]: r for r in pooled_microscope(scopes)}
    out: dict = {"seeds": list(SEEDS), "methods": {}, "hacking": {}}
    for name, runs in arms.items():
        sc = scope[MICROSCOPE_OF[name]]
        iv = stats.mean_ci(list(final(runs, "pass_rate/greedy").values()))
        out["methods"][name] = {
            "step_value_corr": sc["step_value_corr"],
            "blames_first_error": sc["blames_first_error"],
            "pass_rate_greedy": {"mean": iv.mean, "ci95": [iv.lo, iv.hi]},
            "generated_tokens": int(
                round(stats.mean_ci(list(final(runs, "generated_tokens").values())).mean)
            ),
            "wall_s": stats.mean_ci(list(final(runs, "wall_s").values())).mean,
        }
    for proxy, brakes in hack.items():
        for brake, runs in brakes.items():
            name = proxy if brake == "no KL" else f"{proxy}+kl"
            out["hacking"][name] = {
                "proxy_reward_final": stats.mean_ci(
                    list(final(runs, f"probe/reward/{proxy}").values())
                ).mean,
                "true_pass_final": stats.mean_ci(list(final(runs, "probe/pass").values())).mean,
            }
    return out


def per_step(runs: Mapping[int, Sequence[Mapping]], key: str, step: int) -> list[float]:
    """Each seed's ``key`` at update ``step`` (seeds in order), for paired differences."""
    return [float(next(r[key] for r in h if r["step"] == step)) for _, h in sorted(runs.items())]
