"""Thinking that scales with difficulty, trained: RL with a token cost scaled by difficulty.

A flat cost per token (notebook 04) taxes every problem alike, so the cheapest policy stops
thinking everywhere, hard problems included. Here the cost of a sample's tokens is scaled by how
*easy* its problem turned out to be in the same batch: ``cost_per_token * tokens * s``, with
``s`` the share of the problem's group of samples that the verifier accepted. On a problem the
policy always solves, length is taxed in full; on one it rarely solves, hardly at all. With the
group baseline only differences within a group matter, so on an easy problem the shorter correct
sample wins, while on a hard one the correct sample wins whatever its length. An optional
warm-up trains without any cost first, so RL can make thinking accurate before it is taxed.

The runs (``RUNS``) start from ``zoo/base`` with the RLVR recipe's problems and the same
:class:`~reasonlab.training.rl.RLConfig` except the step count; ``"control"`` is the same loop with
no cost, the fair reference at equal steps. Each trained policy is then measured per difficulty on
the held-out sums of :mod:`reasonlab.shipped.testtime` (pass@1 and tokens per answer, 95% bootstrap
intervals over problems). The artifact is ``testtime/trained``.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np

#: Steps of every run (a run takes under a minute on one thread).
STEPS = 30
#: name -> (cost per token, warm-up steps without cost, scale the cost by the verified share?).
#: ``flat+warmup`` is the same cost unscaled: the comparison that isolates the scaling.
RUNS = {
    "control": (0.0, 0, False),
    "scaled": (0.05, 0, True),
    "scaled+warmup": (0.05, 10, True),
    "flat+warmup": (0.05, 10, False),
}
#: The run reported as ``trained_adaptive`` by ``benchmarks/testtime.py``.
REPORTED = "scaled+warmup"
EVAL = {"samples": 8, "seed": 0}


def config():
    from . import zoo

    return replace(zoo.default_rl_config(), steps=STEPS, eval_every=STEPS)


def scaled_cost(batch, cost_per_token: float, *, scaled: bool = True):
    """(N, S) penalties: tokens times cost, times the group's verified share if ``scaled``
    (an easy problem pays in full, one never solved pays nothing)."""
    import torch

    n, s = batch.reward.shape
    tokens = torch.tensor(batch.out.num_tokens, dtype=torch.float).view(n, s)
    solved = batch.correct.view(n, s).mean(1, keepdim=True) if scaled else 1.0
    return cost_per_token * tokens * solved


def train(name: str, *, steps: int | None = None) -> tuple[Any, list[dict]]:
    """Run ``name`` of :data:`RUNS` from ``zoo/base``; returns (policy, history)."""
    from ..core.utils import set_seed
    from ..training import rl
    from ..world import tasks
    from . import zoo

    cost, warmup, scaled = RUNS[name]
    cfg = config() if steps is None else replace(config(), steps=steps)
    p = zoo.RL_PROBLEMS
    problems = tasks.make(p["domain"], p["n"], difficulty=p["difficulty"], seed=p["seed"])
    set_seed(cfg.seed)
    policy = zoo.load("base").clone(name=f"adaptive-{name}")
    learner = rl.Learner.start(policy, cfg)
    rng = random.Random(f"rl/{cfg.seed}")
    history = []
    for step in range(1, cfg.steps + 1):
        batch = rl.verify(rl.rollout(policy, problems, rng, cfg, step), cfg)
        if step > warmup and cost > 0:
            batch.reward = batch.reward - scaled_cost(batch, cost, scaled=scaled)
        stats = rl.update(learner, batch, cfg, step)
        row = rl.log_row(step, batch, stats, 0.0)
        history.append({k: round(float(v), 6) for k, v in row.items() if k != "wall_s"})
    policy.model.eval()
    return policy, history


def measure(policy) -> dict[str, list]:
    """Per held-out problem of :mod:`reasonlab.shipped.testtime` (1-4 digits, stacked): the share of
    ``EVAL["samples"]`` samples verified, mean tokens per answer, share that thought."""
    from .testtime import SWEEP, _round, problems

    out: dict[str, list] = {"digits": [], "correct": [], "tokens": [], "think": []}
    for d in (1, 2, 3, 4):
        probs = problems(d, SWEEP["problems_per_difficulty"], seed=SWEEP["seed"])
        s = draw_with_think(policy, probs)
        out["digits"] += [d] * len(probs)
        out["correct"] += _round(s["correct"].mean(axis=1))
        out["tokens"] += _round(s["tokens"].mean(axis=1))
        out["think"] += _round(s["think"].mean(axis=1))
    return out


def draw_with_think(policy, probs) -> dict:
    from ..measurement.sweeps import draw as draw_once

    s = draw_once(policy.in_float64(), probs, num_samples=EVAL["samples"], seed=EVAL["seed"])
    return {"correct": s.correct, "tokens": s.tokens, "think": s.think}


def table(data: dict) -> list[dict[str, Any]]:
    """One row per (run, digits): pass@1, tokens per answer (95% bootstrap intervals over
    problems) and think usage; the control-paired token difference of every other run."""
    from ..measurement.allocation import bootstrap

    rows = []
    runs = data["runs"]
    for name, run in runs.items():
        m = {k: np.array(v) for k, v in run["measure"].items()}
        ctrl = {k: np.array(v) for k, v in runs["control"]["measure"].items()}
        for d in sorted(set(m["digits"].tolist())):
            sel = m["digits"] == d
            acc, tok = bootstrap(m["correct"][sel]), bootstrap(m["tokens"][sel])
            row = {"policy": name, "digits": d, "k": 1, "think": float(m["think"][sel].mean())}
            row |= {"pass": acc["mean"], "pass/lo": acc["lo"], "pass/hi": acc["hi"]}
            row |= {
                "tokens_per_answer": tok["mean"],
                "tokens/lo": tok["lo"],
                "tokens/hi": tok["hi"],
            }
            for key in ("tokens", "correct"):
                diff = bootstrap(m[key][sel] - ctrl[key][sel])
                row[f"{key}_vs_control"] = diff
            rows.append(row)
    return rows


def build() -> dict[str, Any]:
    out = {}
    for name in RUNS:
        policy, history = train(name)
        out[name] = {"history": history, "measure": measure(policy)}
    return {"config": recipe(), "runs": out}


def recipe() -> dict[str, Any]:
    from . import zoo

    return {
        "runs": RUNS,
        "rl": config().recipe(),
        "problems": zoo.RL_PROBLEMS,
        "eval": EVAL,
        "float64_eval": True,
    }


def tokens_by_difficulty(data: dict, name: str = REPORTED) -> list[float]:
    """Mean tokens per answer of run ``name`` for 1-4 digits."""
    return [r["tokens_per_answer"] for r in table(data) if r["policy"] == name]


NAME = "trained"  # the artifact is testtime/trained, stored beside the sweeps


def path():
    from . import testtime

    return testtime.path(NAME)


def write():
    """Train every run, measure it and write ``testtime/trained`` (gzipped JSON)."""
    from . import testtime

    return testtime.write_data(NAME, build())


def load() -> dict[str, Any]:
    from . import testtime

    return testtime.load(NAME)


def growth_vs_control(data: dict, name: str, key: str = "tokens") -> dict[str, Any]:
    """How much more ``key`` grows from 1 to 4 digits in run ``name`` than in the control:
    (run - control at 4 digits) - (run - control at 1 digit), paired by problem, with a 95%
    bootstrap interval (problems resampled within each difficulty)."""
    from ..measurement.allocation import bootstrap

    run = {k: np.array(v) for k, v in data["runs"][name]["measure"].items()}
    ctrl = np.array(data["runs"]["control"]["measure"][key])
    diff, digits = run[key] - ctrl, run["digits"]
    lo, hi = digits == digits.min(), digits == digits.max()
    # mean over all problems of x = mean(diff | 4 digits) - mean(diff | 1 digit)
    x = np.where(hi, diff * len(diff) / hi.sum(), 0.0) - np.where(
        lo, diff * len(diff) / lo.sum(), 0.0
    )
    return bootstrap(x, digits)
