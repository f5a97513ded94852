"""The reward explorer's artifact: the grid of training runs it records and how ``build()`` runs it.

One real training run per (domain, baseline, group size), started from a zoo base policy with the
same seed, its held-out ``pass_rate`` measured every few steps, recorded by
``python -m reasonlab.labs build reward_explorer`` in ``data/labs/reward_explorer.json``. Math
runs start from the chapter's ``base`` (taught math only); logic and code runs from
``base-multi``, the same SFT recipe on a mixture of all three domains (see :data:`BASES`). The
lab (:mod:`reasonlab.labs.reward_explorer`) reads the runs back with :func:`history`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import store

NAME = "reward_explorer"
#: Every domain the lab can show; a build records those its base policy was taught (RL cannot
#: start on a domain the policy never gets right: every group would have zero signal).
DOMAINS = ("math", "logic", "code")
#: The zoo policy each domain's runs start from. Math keeps the chapter's base, so its runs are
#: those of the training notebooks' policy; the chapter's base never saw logic or code.
BASES = {"math": "base", "logic": "base-multi", "code": "base-multi"}
#: (baseline name of rl.RLConfig, label shown to the reader)
BASELINES = (
    ("none", "none (plain REINFORCE)"),
    ("ema", "running mean"),
    ("group", "group mean (leave-one-out)"),
    ("group_std", "GRPO (group z-score)"),
)
GROUP_SIZES = (2, 4, 8)
#: Training run behind every cell of the grid (same for all cells but the varied knobs).
RUN = {
    "steps": 24,
    "eval_every": 4,
    "prompts_per_step": 8,
    "train_problems": 2000,
    "eval_problems": 32,
    "difficulty": (1, 4),
    "seed": 0,
}


# ----------------------------------------------------------------------------- the runs


def recorded_domains() -> tuple[str, ...]:
    """The domains the artifact has runs for, in ``DOMAINS`` order."""
    return tuple(d for d in DOMAINS if d in store.load(NAME)["run"]["domains"])


def history(domain: str, baseline: str, group_size: int) -> list[dict[str, Any]]:
    """The recorded held-out evaluations of one training run (``step``, ``pass_rate``, ...)."""
    runs = store.load(NAME)["runs"]
    key = f"{domain}/{baseline}/{group_size}"
    if key not in runs:
        raise KeyError(f"no recorded run {key!r}; the artifact has {sorted(runs)}")
    return runs[key]


def run(domain: str, baseline: str, group_size: int, *, steps: int | None = None) -> list[dict]:
    """One training run of the grid, compressed to its evaluations.

    RLVR from ``BASES[domain]`` on ``domain`` (train split), the held-out greedy pass rate
    measured every ``RUN["eval_every"]`` steps on the same test problems for every run.

    Returns:
        One dict per evaluation: ``step``, ``pass_rate`` (greedy), ``pass_rate/sampled``,
        ``think/usage`` (held-out), and ``frac_reward_zero_std``, the mean over the training
        steps since the previous evaluation (absent at step 0).
    """
    from ..core.utils import set_seed
    from ..shipped import zoo
    from ..training.rl import RLConfig, train_rlvr
    from ..world import tasks

    r = RUN
    problems = tasks.make(
        domain,
        r["train_problems"],
        difficulty=tuple(r["difficulty"]),
        seed=r["seed"],
        split="train",
    )
    evals = tasks.make(
        domain, r["eval_problems"], difficulty=tuple(r["difficulty"]), seed=r["seed"], split="test"
    )
    cfg = RLConfig(
        steps=steps or r["steps"],
        prompts_per_step=r["prompts_per_step"],
        num_samples=group_size,
        baseline=baseline,
        eval_every=r["eval_every"],
        eval_size=len(evals),
        seed=r["seed"],
    )
    set_seed(r["seed"])
    policy = zoo.load(BASES[domain])
    hist = train_rlvr(policy, problems, cfg, eval_problems=evals, progress=False)
    out, window = [], []
    for row in hist:
        if "frac_reward_zero_std" in row:
            window.append(row["frac_reward_zero_std"])
        if row.get("eval_step", row["step"]) != row["step"]:
            continue
        point = {
            "step": row["step"],
            "pass_rate": round(row["pass_rate/greedy"], 6),
            "pass_rate/sampled": round(row["pass_rate/sampled"], 6),
            "think/usage": round(row["eval/think/usage"], 6),
        }
        if window:
            point["frac_reward_zero_std"] = round(float(np.mean(window)), 6)
        window = []
        out.append(point)
    return out


def build(*, quick: bool = False) -> dict[str, Any]:
    """Every run of the grid (the artifact); ``quick`` runs one cell per domain for a few steps."""
    from ..shipped import zoo

    domains = [d for d in DOMAINS if d in zoo.recipe(BASES[d]).config["sft"]["domains"]]
    cells = [(d, b, g) for d in domains for b, _ in BASELINES for g in GROUP_SIZES]
    if quick:
        cells = [(d, "group_std", 2) for d in domains]
    runs = {f"{d}/{b}/{g}": run(d, b, g, steps=8 if quick else None) for d, b, g in cells}
    meta = {k: list(v) if isinstance(v, tuple) else v for k, v in RUN.items()}
    bases = {d: BASES[d] for d in domains}
    return {"run": meta | {"domains": domains, "bases": bases}, "runs": runs}
