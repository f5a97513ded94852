"""The trade-offs lab's artifact: the sweep it records, how ``build()`` makes it, its rows by key.

One :func:`reasonlab.measurement.scaling.sweep` per policy and difficulty (digits per operand) on
held-out math problems, over every thinking budget and number of samples k, stored by
``python -m reasonlab.build labs/tradeoffs`` in ``data/labs/tradeoffs.json``: a row per
(policy, digits, budget, k), plus the "all problems" rows (``digits == "all"``), their means. The
lab (:mod:`reasonlab.labs.tradeoffs`) only looks these rows up.
"""

from __future__ import annotations

import functools
from typing import Any

from . import store

NAME = "tradeoffs"
POLICIES = ("base", "rlvr")
#: (row key in a sweep table, label shown to the reader)
AGGREGATIONS = (
    ("majority_at_k", "majority vote"),
    ("best_of_k/confidence", "best-of-N (confidence)"),
    ("pass_at_k", "pass@k (oracle ceiling)"),
)
#: Thinking budgets swept: a cap on tokens inside <think>; -1 stands for "no cap" (JSON-able).
BUDGETS = (0, 4, 8, 16, -1)
KS = (1, 2, 4, 8, 16)
DIGITS = (1, 2, 3, 4)
#: Row keys averaged over difficulties for the "all problems" rows (equal problems per digit).
_MEAN_KEYS = (
    "pass_at_k",
    "majority_at_k",
    "best_of_k/confidence",
    "tokens_per_answer",
    "tokens/total",
    "tokens/max",
    "think/usage",
)

# The sweep behind the artifact: held-out math problems (the domain of the zoo's RLVR run),
# the same number of each difficulty, one seed.
SWEEP = {
    "domain": "math",
    "problems_per_difficulty": 32,
    "difficulties": DIGITS,
    "num_samples": max(KS),
    "temperature": 1.0,
    "seed": 0,
}


def budget_label(budget: int) -> str:
    """How a thinking budget is shown: its cap in tokens, or "no cap" for -1."""
    return "no cap" if budget < 0 else f"{budget}"


# ----------------------------------------------------------------------------- rows


@functools.lru_cache(maxsize=1)
def table() -> dict[tuple[str, int, int], dict[str, Any]]:
    """The "all problems" rows, keyed (policy, budget, k)."""
    rows = store.load(NAME)["rows"]
    return {(r["policy"], r["budget_tokens"], r["k"]): r for r in rows if r["digits"] == "all"}


@functools.lru_cache(maxsize=1)
def by_digits() -> dict[tuple[str, int, int, int], dict[str, Any]]:
    """The per-difficulty rows, keyed (policy, digits, budget, k)."""
    rows = store.load(NAME)["rows"]
    return {
        (r["policy"], r["digits"], r["budget_tokens"], r["k"]): r
        for r in rows
        if r["digits"] != "all"
    }


# ----------------------------------------------------------------------------- build


_ROW_KEYS = (
    "pass_at_k",
    "pass_at_k/se",
    "majority_at_k",
    "majority_at_k/se",
    "best_of_k/confidence",
    "best_of_k/confidence/se",
    "tokens_per_answer",
    "tokens/total",
    "tokens/max",
    "think/usage",
)


def _all_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The "all problems" row of one (policy, budget, k) from its per-difficulty rows: means
    (each difficulty has the same number of problems) and standard errors combined."""
    out = {key: rows[0][key] for key in ("policy", "budget_tokens", "k")}
    n = len(rows)
    for key in _MEAN_KEYS:
        out[key] = round(sum(r[key] for r in rows) / n, 6)
        if f"{key}/se" in rows[0]:
            out[f"{key}/se"] = round(sum(r[f"{key}/se"] ** 2 for r in rows) ** 0.5 / n, 6)
    out["num_problems"] = sum(r["num_problems"] for r in rows)
    out["digits"] = "all"
    return out


def build(*, quick: bool = False) -> dict[str, Any]:
    """Run the sweep behind the lab (the artifact ``data/labs/tradeoffs.json``).

    One :func:`reasonlab.measurement.scaling.sweep` per policy and difficulty (same seed), so every
    (policy, difficulty, budget) is drawn on its own.

    Args:
        quick: a cheap slice for tests: the base policy at the first budget only. Budgets and
            difficulties are sampled independently with the same seed, so its rows must equal
            the artifact's.
    """
    from ..measurement import scaling
    from ..shipped import zoo
    from ..world import tasks

    cfg = dict(SWEEP)
    budgets = [None if b < 0 else b for b in (BUDGETS[:1] if quick else BUDGETS)]
    rows = []
    for name in POLICIES[:1] if quick else POLICIES:
        policy = zoo.load(name)
        for d in cfg["difficulties"]:
            problems = tasks.make(
                cfg["domain"],
                cfg["problems_per_difficulty"],
                difficulty=(d, d),
                seed=cfg["seed"],
                split="test",
            )
            for row in scaling.sweep(
                policy,
                problems,
                ks=KS,
                budgets=budgets,
                num_samples=cfg["num_samples"],
                seed=cfg["seed"],
                temperature=cfg["temperature"],
                name=name,
            ):
                cap = row["max_think_tokens"]
                rows.append(
                    {
                        "policy": name,
                        "digits": d,
                        "budget_tokens": -1 if cap is None else cap,
                        "k": row["k"],
                        **{key: round(row[key], 6) for key in _ROW_KEYS},
                        "num_problems": row["num_problems"],
                    }
                )
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["policy"], r["budget_tokens"], r["k"]), []).append(r)
    rows += [_all_row(g) for g in groups.values()]
    return {
        "sweep": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
        "rows": rows,
    }
