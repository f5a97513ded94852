"""Lab 3, inference-time scaling trade-offs: accuracy, latency and cost of thinking and sampling.

Controls: the thinking budget, the number of samples k, how the k samples become one answer
(majority vote; best-of-N picked by the policy's own confidence; pass@k, the ceiling an oracle
verifier would reach), the policy (base or after RLVR), the price per million generated tokens,
the decoding speed, and whether the k samples run in parallel (one batch: wait for the longest)
or one after another (wait for all of them). Beside each choice (one strategy for every problem)
the lab shows what the same mean tokens buy when a strategy is chosen *per difficulty* (the digit
count known): the adaptive allocation.

The numbers come from one :func:`reasonlab.measurement.scaling.sweep` per policy and difficulty on
held-out problems, stored by ``python -m reasonlab.build labs/tradeoffs`` in
``data/labs/tradeoffs.json``; ``compute`` only looks rows up, applies the cost model of
:func:`reasonlab.measurement.costs.with_cost`, and searches the per-difficulty allocations. The
adaptive allocation is chosen on the same problems it is scored on (in-sample, an upper estimate);
notebook 11 chooses on one half and scores on the other.

The lab's layers: this module holds its controls, ``compute`` (the cost model, the frontiers and
the adaptive allocation) and its widgets; the sweep and ``build()`` are in
:mod:`~reasonlab.labs.tradeoffs_sweep`, the figure and read-outs in
:mod:`~reasonlab.labs.tradeoffs_render`.
"""

from __future__ import annotations

import functools
from typing import Any

from .controls import Control, Layers, Panel
from .static import lab_views
from .tradeoffs_render import (  # noqa: F401 (tradeoffs.render, as every lab has)
    render,
    render_accuracy,
    render_cost,
    render_figure,
    render_key,
    render_latency,
    render_per_difficulty,
)
from .tradeoffs_sweep import (  # noqa: F401 (tradeoffs.SWEEP and .build: the build stage's)
    AGGREGATIONS,
    BUDGETS,
    DIGITS,
    KS,
    NAME,
    POLICIES,
    SWEEP,
    budget_label,
    build,
    by_digits,
    table,
)

PRICES = (0.5, 2.0, 10.0, 60.0)  # $ per million generated tokens, cheap open model .. frontier API
SPEEDS = (20, 50, 100, 200)  # generated tokens per second for one sequence
MODES = ("parallel", "sequential")


def controls(static: bool = False) -> list[Control]:
    """The lab's controls; the static book version keeps fewer prices and speeds."""
    prices = (0.5, 10.0) if static else PRICES
    speeds = (20, 200) if static else SPEEDS
    return [
        Control("policy", "policy", POLICIES, "rlvr", "toggle"),
        Control.dropdown("aggregation", "aggregate", AGGREGATIONS, "majority_at_k"),
        Control(
            "budget",
            "thinking budget (tokens)",
            BUDGETS,
            -1,
            "slider",
            tuple(budget_label(b) for b in BUDGETS),
        ),
        Control("k", "samples k", KS, 4, "slider"),
        Control("price", "$ per M tokens", prices, prices[-1], "slider"),
        Control("speed", "tokens/s", speeds, speeds[0], "slider"),
        Control("mode", "samples run", MODES, "parallel", "toggle"),
    ]


# ----------------------------------------------------------------------------- compute


def _pareto(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options sorted by tokens, each strictly more accurate than every cheaper one."""
    options = sorted(options, key=lambda q: (q["tokens"], -q["accuracy"]))
    out, best = [], -1.0
    for q in options:
        if q["accuracy"] > best + 1e-12:
            out.append(q)
            best = q["accuracy"]
    return out


@functools.lru_cache(maxsize=8)
def adaptive_frontier(policy: str, aggregation: str) -> tuple[dict[str, Any], ...]:
    """Every per-difficulty allocation worth having: one (budget, k) per digit count.

    Each difficulty keeps only its own accuracy-token frontier; combinations are scored by their
    mean accuracy and mean tokens over the four (equally many) difficulties, and those no other
    beats on both are returned, cheapest first (exact: the frontiers are merged pairwise).
    Each carries its ``choice``: ``{digits: (budget, k)}``.
    """
    rows = by_digits()
    # Merge the difficulties one at a time, keeping only the frontier of the partial sums: a
    # partial allocation beaten on both tokens and accuracy cannot be part of a best one.
    merged = [{"tokens": 0.0, "accuracy": 0.0, "choice": {}}]
    for d in DIGITS:
        front = _pareto(
            [
                {"tokens": r["tokens/total"], "accuracy": r[aggregation], "pick": (b, k)}
                for (p, dd, b, k), r in rows.items()
                if p == policy and dd == d
            ]
        )
        merged = _pareto(
            [
                {
                    "tokens": m["tokens"] + q["tokens"],
                    "accuracy": m["accuracy"] + q["accuracy"],
                    "choice": {**m["choice"], d: q["pick"]},
                }
                for m in merged
                for q in front
            ]
        )
    n = len(DIGITS)
    return tuple(
        {"tokens": m["tokens"] / n, "accuracy": m["accuracy"] / n, "choice": m["choice"]}
        for m in merged
    )


def adaptive_at(policy: str, aggregation: str, tokens: float) -> dict[str, Any]:
    """The most accurate per-difficulty allocation spending at most ``tokens`` on average."""
    affordable = [q for q in adaptive_frontier(policy, aggregation) if q["tokens"] <= tokens + 1e-6]
    return affordable[-1]  # the uniform choice itself is one allocation, so never empty


def per_difficulty(policy, aggregation, budget, k) -> list[dict[str, Any]]:
    """Per digit count: the uniform choice's accuracy and tokens, and the adaptive choice's."""
    rows = by_digits()
    tokens = table()[(policy, budget, k)]["tokens/total"]
    adaptive = adaptive_at(policy, aggregation, tokens)
    out = []
    for d in DIGITS:
        uni = rows[(policy, d, budget, k)]
        ab, ak = adaptive["choice"][d]
        ada = rows[(policy, d, ab, ak)]
        out.append(
            {
                "digits": d,
                "uniform_accuracy": uni[aggregation],
                "uniform_tokens": uni["tokens/total"],
                "adaptive_budget": ab,
                "adaptive_k": ak,
                "adaptive_accuracy": ada[aggregation],
                "adaptive_tokens": ada["tokens/total"],
            }
        )
    return out


def _check(params: dict[str, Any]) -> None:
    allowed = {c.name: c.values for c in controls()}
    for name, values in allowed.items():
        if name not in params:
            raise ValueError(f"params is missing {name!r}; the lab needs {list(allowed)}")
        if name in ("price", "speed"):
            if not float(params[name]) > 0:
                raise ValueError(f"{name} must be > 0, got {params[name]!r}")
        elif params[name] not in values:
            raise ValueError(f"{name} must be one of {values}, got {params[name]!r}")


def seconds_and_dollars(row: dict[str, Any], *, price: float, speed: float, mode: str):
    """(latency in seconds, cost in $) of answering one problem with a sweep row's k samples.

    You pay for every generated token (``tokens/total``); in parallel you wait for the longest
    sample (``tokens/max``), in sequence for all of them (``tokens/total``).
    """
    waited = row["tokens/max"] if mode == "parallel" else row["tokens/total"]
    return waited / speed, row["tokens/total"] * price / 1e6


@functools.lru_cache(maxsize=4096)
def _compute(policy, aggregation, budget, k, price, speed, mode) -> dict[str, Any]:
    rows = table()
    row = rows[(policy, budget, k)]
    points = []
    for (p, b, kk), r in rows.items():
        if p != policy:
            continue
        points.append(
            {"budget": b, "k": kk, "tokens": r["tokens/total"], "accuracy": r[aggregation]}
        )
    points.sort(key=lambda q: (q["tokens"], -q["accuracy"]))
    frontier = _pareto(points)
    seconds, dollars = seconds_and_dollars(row, price=price, speed=speed, mode=mode)
    adaptive = adaptive_at(policy, aggregation, row["tokens/total"])
    return {
        "adaptive_accuracy": adaptive["accuracy"],
        "adaptive_tokens": adaptive["tokens"],
        "adaptive_frontier": list(adaptive_frontier(policy, aggregation)),
        "per_difficulty": per_difficulty(policy, aggregation, budget, k),
        "policy": policy,
        "aggregation": aggregation,
        "budget": budget,
        "k": k,
        "mode": mode,
        "price": price,
        "speed": speed,
        "accuracy": row[aggregation],
        "accuracy_se": row[f"{aggregation}/se"],
        "pass_at_k": row["pass_at_k"],
        "majority_at_k": row["majority_at_k"],
        "tokens": row["tokens/total"],
        "tokens_waited": row["tokens/max"] if mode == "parallel" else row["tokens/total"],
        "think_usage": row["think/usage"],
        "seconds": seconds,
        "dollars": dollars,
        "points": points,
        "frontier": frontier,
        "on_frontier": any(q["budget"] == budget and q["k"] == k for q in frontier),
        "num_problems": row["num_problems"],
    }


def compute(params: dict[str, Any]) -> dict[str, Any]:
    """Accuracy, latency and cost of one choice, plus every (budget, k) point of its policy.

    Args:
        params: ``policy``, ``aggregation``, ``budget`` (-1 for no cap), ``k``, ``price`` ($ per
            million tokens), ``speed`` (tokens/s), ``mode`` (``"parallel"``/``"sequential"``).

    Returns:
        A dict with the uniform choice's ``accuracy`` (and ``accuracy_se``), ``tokens`` paid
        per problem, ``seconds`` and ``dollars`` per problem, all ``points`` (budget, k,
        tokens, accuracy) of that policy and aggregation, the accuracy-cost ``frontier``; the
        best per-difficulty allocation at no more mean tokens (``adaptive_accuracy``,
        ``adaptive_tokens``), the frontier of such allocations (``adaptive_frontier``), and the
        ``per_difficulty`` rows of both.
    """
    _check(params)
    return _compute(
        *(params[n] for n in ("policy", "aggregation", "budget", "k")),
        float(params["price"]),
        float(params["speed"]),
        params["mode"],
    )


# ----------------------------------------------------------------------------- widgets


def panels() -> list:
    """What the lab shows, live or static: the figure (base + choice marker) and read-outs."""
    choice = ("policy", "aggregation", "budget", "k")
    return [
        Layers(
            (
                Panel(lambda p: render_figure(compute(p), "base"), ("policy", "aggregation")),
                Panel(lambda p: render_figure(compute(p), "marker"), choice),
            )
        ),
        Panel(lambda p: render_key()),
        Panel(lambda p: render_accuracy(compute(p)), choice),
        Panel(lambda p: render_per_difficulty(compute(p)), choice),
        Panel(lambda p: render_cost(compute(p)), ("policy", "budget", "k", "price")),
        Panel(lambda p: render_latency(compute(p)), ("policy", "budget", "k", "mode", "speed")),
    ]


#: The live lab (needs a kernel), the kernel-free one for the book, and the notebook's one cell.
widget, static, show = lab_views(__name__, "trade-offs lab")
