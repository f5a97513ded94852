"""Test-time compute by difficulty: the sweeps behind notebook 11 and their shipped artifacts.

Two artifacts, each made by ``python -m reasonlab.build testtime/<name>``:

* ``testtime/sweeps``: for the ``base`` and ``rlvr`` policies, every difficulty 1-4 (digits of
  each operand) and every thinking budget of :data:`BUDGETS`, ``NUM_SAMPLES`` samples of each
  held-out problem, reduced per problem to the exact subset estimates of :mod:`estimators`
  (majority@k, pass@k, best-of-k by own log-prob, tokens of revise-until-verified) at the ks of
  :data:`KS`; plus ``NUM_PROBES`` extra *probe* samples per problem (their agreement, mean
  log-prob and tokens), from which a policy can guess how hard a problem is;
* ``testtime/crossover``: ``CROSSOVER["num_samples"]`` samples of each problem with 4 digits and
  with 5 (out of distribution: training stops at 4), reduced to the number correct and the
  number of distinct answers per problem, which is all unbiased pass@k needs.

Every cell (policy, difficulty, budget) is drawn on its own with a seed of its own, in float64
(``Policy.in_float64``: the samples are then the same on any CPU), in chunks of at most
``CHUNK_ROWS`` rows, so a test can redraw one cell and compare it with what is shipped.
The analysis of these numbers (intervals, allocation) is pure and lives in
:mod:`reasonlab.measurement.allocation`.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from ..core.artifacts import DATA_DIR
from ..measurement.estimators import best_of_n_at_k, pass_at_k_curve
from ..measurement.voting import majority_at_k_exact

OUT_DIR = DATA_DIR / "testtime"
POLICIES = ("base", "rlvr")
DIFFICULTIES = (1, 2, 3, 4)
#: Thinking budgets, as labels: ``"cap<t>"`` caps thinking at t tokens, ``"free"`` is no
#: limit, ``"think>=1"`` forces at least one thinking token (the base policy rarely thinks).
BUDGETS = ("cap0", "cap8", "cap16", "cap32", "free", "think>=1")
KS = (1, 2, 3, 4, 6, 8, 12, 16)
SWEEP = {"problems_per_difficulty": 100, "num_samples": 16, "num_probes": 2, "seed": 0}
CROSSOVER = {"digits": (4, 5), "num_problems": 100, "num_samples": 256, "seed": 0}
#: Rows (prompts x samples) per ``policy.sample`` call: bounds the KV cache's memory.
CHUNK_ROWS = 2048
_DIGITS = 5  # decimals kept in the JSON (a rebuild gives the same bytes)


def path(name: str) -> Path:
    return OUT_DIR / f"{name}.json.gz"


def budget(label: str):
    """The :class:`~reasonlab.measurement.sweeps.Budget` a label stands for."""
    from ..measurement.sweeps import Budget

    if label == "free":
        return Budget()
    if label == "think>=1":
        return Budget(min_think_tokens=1)
    if label.startswith("cap"):
        return Budget(max_think_tokens=int(label[3:]))
    raise ValueError(f"unknown budget label {label!r}; known: {BUDGETS}")


# ----------------------------------------------------------------------------- problems


def problems(digits: int, n: int, *, seed: int) -> list:
    """``n`` held-out sums of two ``digits``-digit numbers (1-4 from ``tasks.make``; 5 here).

    The task generator stops at 4 digits (the training range); 5-digit problems are made the
    same way (operands with exactly ``digits`` digits, held-out split by the prompt's hash).
    """
    from ..world import tasks

    if digits <= tasks.MAX_DIFFICULTY:
        return tasks.make("math", n, difficulty=digits, seed=seed, split="test")
    rng = random.Random(f"math/add/test/{seed}/digits={digits}")
    out = []
    while len(out) < n:
        a, b = (rng.randint(10 ** (digits - 1), 10**digits - 1) for _ in range(2))
        p = tasks.Problem("math", "add", f"{a}+{b}=", str(a + b), digits, (a, b))
        if p.split == "test":
            out.append(p)
    return out


# ----------------------------------------------------------------------------- sampling


def draw(policy: Any, probs: list, *, num_samples: int, seed: int, budget_label: str = "free"):
    """:func:`reasonlab.measurement.sweeps.draw` in chunks of at most ``CHUNK_ROWS`` rows.

    Chunk j uses seed ``seed + 1000 * j``; returns (answers, correct, tokens, confidence),
    each (P, n), answers as vote keys.
    """
    from ..measurement.sweeps import draw as draw_once

    per = max(1, CHUNK_ROWS // num_samples)
    answers, parts = [], []
    for j in range(0, len(probs), per):
        s = draw_once(
            policy,
            probs[j : j + per],
            num_samples=num_samples,
            seed=seed + 1000 * (j // per),
            budget=budget(budget_label),
        )
        answers += s.answers
        parts.append((s.correct, s.tokens, s.confidence))
    correct, tokens, confidence = (np.concatenate(x) for x in zip(*parts, strict=True))
    return answers, correct, tokens, confidence


def reduce_cell(answers, correct, tokens, confidence, ks=KS) -> dict[str, list]:
    """Per problem: the exact k-subset estimates at each k, mean tokens, distinct answers."""
    from ..measurement.sweeps import GOLD, sequential_at_k

    n = correct.shape[1]
    out: dict[str, list] = {"majority": [], "pass": [], "confidence": [], "sequential": []}
    for a, c, t, s in zip(answers, correct, tokens, confidence, strict=True):
        out["majority"].append(majority_at_k_exact(a, GOLD, ks))
        out["pass"].append(pass_at_k_curve(n, int(c.sum()), ks))
        out["confidence"].append(best_of_n_at_k(s, c, ks))
        out["sequential"].append(sequential_at_k(c, t, ks)[1])
    cell = {key: _round(np.stack(v)) for key, v in out.items()}
    cell["tokens"] = _round(tokens.mean(axis=1))
    cell["distinct"] = [len(set(a) - {None}) for a in answers]
    return cell


def _round(x: np.ndarray) -> list:
    return np.round(np.asarray(x, dtype=np.float64), _DIGITS).tolist()


def probe(policy: Any, probs: list, *, num_probes: int, seed: int) -> dict[str, list]:
    """The policy's own signals from ``num_probes`` samples per problem (no verifier).

    Per problem and probe: ``answers`` (an index per distinct vote key, -1 for no answer),
    ``confidence`` (mean log-prob per token) and ``tokens`` (what the probe cost).
    """
    answers, _, tokens, confidence = draw(policy, probs, num_samples=num_probes, seed=seed)
    ids = []
    for row in answers:
        seen: dict = {}
        ids.append([-1 if a is None else seen.setdefault(a, len(seen)) for a in row])
    return {"answers": ids, "confidence": _round(confidence), "tokens": tokens.tolist()}


@functools.cache
def _policy(name: str):
    from . import zoo

    return zoo.load(name).in_float64()


def sweep_cell(name: str, digits: int, budget_label: str) -> dict[str, list]:
    """One cell of ``testtime/sweeps``: policy ``name``, one difficulty, one budget."""
    cfg = SWEEP
    probs = problems(digits, cfg["problems_per_difficulty"], seed=cfg["seed"])
    drawn = draw(
        _policy(name),
        probs,
        num_samples=cfg["num_samples"],
        seed=cfg["seed"],
        budget_label=budget_label,
    )
    return reduce_cell(*drawn)


def probe_cell(name: str, digits: int) -> dict[str, list]:
    cfg = SWEEP
    probs = problems(digits, cfg["problems_per_difficulty"], seed=cfg["seed"])
    return probe(_policy(name), probs, num_probes=cfg["num_probes"], seed=cfg["seed"] + 1)


def crossover_cell(name: str, digits: int) -> dict[str, list]:
    """One cell of ``testtime/crossover``: correct and distinct answers per problem."""
    cfg = CROSSOVER
    probs = problems(digits, cfg["num_problems"], seed=cfg["seed"])
    answers, correct, tokens, _ = draw(
        _policy(name), probs, num_samples=cfg["num_samples"], seed=cfg["seed"]
    )
    return {
        "correct": correct.sum(axis=1).tolist(),
        "distinct": [len(set(a) - {None}) for a in answers],
        "tokens": _round(tokens.mean(axis=1)),
    }


# ----------------------------------------------------------------------------- artifacts


def build_sweeps() -> dict[str, Any]:
    """Everything of ``testtime/sweeps``: cells keyed ``policy/digits/budget``, probes."""
    cells = {
        f"{name}/{d}/{b}": sweep_cell(name, d, b)
        for name in POLICIES
        for d in DIFFICULTIES
        for b in BUDGETS
    }
    probes = {f"{name}/{d}": probe_cell(name, d) for name in POLICIES for d in DIFFICULTIES}
    return {"config": recipe("sweeps"), "cells": cells, "probes": probes}


def build_crossover() -> dict[str, Any]:
    cells = {
        f"{name}/{d}": crossover_cell(name, d) for name in POLICIES for d in CROSSOVER["digits"]
    }
    return {"config": recipe("crossover"), "cells": cells}


def recipe(name: str) -> dict[str, Any]:
    """What determines artifact ``testtime/<name>`` (hashed by the build)."""
    common = {"policies": POLICIES, "chunk_rows": CHUNK_ROWS, "float64": True}
    if name == "sweeps":
        return {**common, **SWEEP, "difficulties": DIFFICULTIES, "budgets": BUDGETS, "ks": KS}
    if name == "crossover":
        return {**common, **CROSSOVER}
    raise ValueError(f"unknown testtime artifact {name!r}")


ARTIFACTS = {"sweeps": build_sweeps, "crossover": build_crossover}


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def write(name: str) -> Path:
    """Build ``testtime/<name>`` and write it (see :func:`write_data`)."""
    return write_data(name, ARTIFACTS[name]())


def write_data(name: str, data: Any) -> Path:
    """Write ``data`` as the gzipped JSON of ``testtime/<name>`` (no time stamp: same bytes)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = path(name)
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as z:
        z.write(dumps(data).encode())
    load.cache_clear()
    return out


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The shipped artifact ``testtime/<name>`` (cached)."""
    from ..core.artifacts import BUILD_COMMAND, MissingArtifactError

    p = path(name)
    if not p.exists():
        raise MissingArtifactError(f"{p} is missing: run `{BUILD_COMMAND} testtime/{name}`")
    return json.loads(gzip.decompress(p.read_bytes()))


# ----------------------------------------------------------------------------- tables

#: Readable names of the per-problem estimates of a sweep cell.
METRICS = {
    "majority": "majority@k (vote, no verifier)",
    "pass": "pass@k = best-of-k with the verifier",
    "confidence": "best-of-k by own log-prob",
}


def by_difficulty(sweeps: dict, budget_label: str = "free") -> list[dict[str, Any]]:
    """One row per (policy, digits, k): each metric's mean over problems with its 95%
    interval (bootstrap over problems), plus tokens per answer and distinct answers."""
    from ..measurement.allocation import bootstrap

    cfg, rows = sweeps["config"], []
    for name in cfg["policies"]:
        for d in cfg["difficulties"]:
            cell = sweeps["cells"][f"{name}/{d}/{budget_label}"]
            stats = {m: bootstrap(cell[m]) for m in METRICS}
            tokens = bootstrap(cell["tokens"])
            for j, k in enumerate(cfg["ks"]):
                row = {"policy": name, "digits": d, "budget": budget_label, "k": k}
                for m, st in stats.items():
                    row |= {m: st["mean"][j], f"{m}/lo": st["lo"][j], f"{m}/hi": st["hi"][j]}
                row |= {
                    "tokens_per_answer": tokens["mean"],
                    "tokens/lo": tokens["lo"],
                    "tokens/hi": tokens["hi"],
                    "distinct": float(np.mean(cell["distinct"])),
                }
                rows.append(row)
    return rows


def by_budget(sweeps: dict, k: int = 1, metric: str = "pass") -> list[dict[str, Any]]:
    """One row per (policy, digits, budget): accuracy at ``k`` with its interval, tokens."""
    from ..measurement.allocation import bootstrap

    cfg, rows = sweeps["config"], []
    j = cfg["ks"].index(k)
    for name in cfg["policies"]:
        for d in cfg["difficulties"]:
            for b in cfg["budgets"]:
                cell = sweeps["cells"][f"{name}/{d}/{b}"]
                st = bootstrap(np.array(cell[metric])[:, j])
                rows.append(
                    {
                        "policy": name,
                        "digits": d,
                        "budget": b,
                        "k": k,
                        metric: st["mean"],
                        f"{metric}/lo": st["lo"],
                        f"{metric}/hi": st["hi"],
                        "tokens_per_answer": float(np.mean(cell["tokens"])),
                    }
                )
    return rows


def crossover_ks(num_samples: int) -> list[int]:
    """1, 2, 4, ... up to ``num_samples`` (powers of two, and the end)."""
    ks = [2**i for i in range(num_samples.bit_length()) if 2**i <= num_samples]
    return ks if ks[-1] == num_samples else [*ks, num_samples]


def crossover(data: dict, digits: int) -> dict[str, Any]:
    """Unbiased pass@k of each policy for k up to n, base minus RL with a paired interval,
    the first k where the interval of the difference lies above zero, distinct answers."""
    from ..measurement.allocation import bootstrap

    n = data["config"]["num_samples"]
    ks = crossover_ks(n)
    per = {
        name: np.stack(
            [pass_at_k_curve(n, c, ks) for c in data["cells"][f"{name}/{digits}"]["correct"]]
        )
        for name in data["config"]["policies"]
    }
    base, rl = per["base"], per["rlvr"]
    diff = bootstrap(base - rl)
    above = [k for k, lo in zip(ks, diff["lo"], strict=True) if lo > 0]
    return {
        "digits": digits,
        "k": ks,
        "base": bootstrap(base),
        "rlvr": bootstrap(rl),
        "base_minus_rlvr": diff,
        "first_k_base_ahead": above[0] if above else None,
        "distinct": {
            name: float(np.mean(data["cells"][f"{name}/{digits}"]["distinct"])) for name in per
        },
        "tokens": {
            name: float(np.mean(data["cells"][f"{name}/{digits}"]["tokens"])) for name in per
        },
    }
