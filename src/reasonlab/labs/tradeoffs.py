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
"""

from __future__ import annotations

import functools
from typing import Any

from . import store
from .controls import Control, Layers, Panel
from .frames import readout
from .static import lab_views

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
PRICES = (0.5, 2.0, 10.0, 60.0)  # $ per million generated tokens, cheap open model .. frontier API
SPEEDS = (20, 50, 100, 200)  # generated tokens per second for one sequence
MODES = ("parallel", "sequential")
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
    return "no cap" if budget < 0 else f"{budget}"


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


@functools.lru_cache(maxsize=1)
def _table() -> dict[tuple[str, int, int], dict[str, Any]]:
    """The "all problems" rows, keyed (policy, budget, k)."""
    rows = store.load(NAME)["rows"]
    return {(r["policy"], r["budget_tokens"], r["k"]): r for r in rows if r["digits"] == "all"}


@functools.lru_cache(maxsize=1)
def _by_digits() -> dict[tuple[str, int, int, int], dict[str, Any]]:
    """The per-difficulty rows, keyed (policy, digits, budget, k)."""
    rows = store.load(NAME)["rows"]
    return {
        (r["policy"], r["digits"], r["budget_tokens"], r["k"]): r
        for r in rows
        if r["digits"] != "all"
    }


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
    rows = _by_digits()
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
    rows = _by_digits()
    tokens = _table()[(policy, budget, k)]["tokens/total"]
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
    table = _table()
    row = table[(policy, budget, k)]
    points = []
    for (p, b, kk), r in table.items():
        if p != policy:
            continue
        points.append(
            {"budget": b, "k": kk, "tokens": r["tokens/total"], "accuracy": r[aggregation]}
        )
    points.sort(key=lambda q: (q["tokens"], -q["accuracy"]))
    frontier, best = [], -1.0
    for q in points:  # cheapest first: keep each point more accurate than all cheaper ones
        if q["accuracy"] > best:
            frontier.append(q)
            best = q["accuracy"]
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


# ----------------------------------------------------------------------------- render


def _limits(data: dict[str, Any]) -> tuple[float, float]:
    tokens = [q["tokens"] for q in data["points"]]
    tokens += [q["tokens"] for q in data["adaptive_frontier"]]
    return min(tokens) / 1.4, max(tokens) * 1.4


def budget_colour(budget: int) -> str:
    """The colour of a thinking budget's curve (viridis, no cap brightest), as #rrggbb."""
    import matplotlib
    from matplotlib.colors import to_hex

    return to_hex(matplotlib.colormaps["viridis"](BUDGETS.index(budget) / (len(BUDGETS) - 1)))


def render_key() -> str:
    """The figure's legend as HTML (a matplotlib legend costs more to draw than the plot)."""
    swatch = "<span style='color:{}'>&#9644;</span> {}"
    items = [swatch.format(budget_colour(b), f"think ≤ {budget_label(b)}") for b in BUDGETS]
    items += [
        swatch.format("#999999", "accuracy-cost frontier (same strategy everywhere)"),
        "<span style='color:crimson'>- - -</span> frontier spending by difficulty",
        "<span style='color:crimson'>&#9733;</span> your choice",
        "<span style='color:crimson'>&#9711;</span> its tokens spent by difficulty",
    ]
    return "<div style='font-size:85%'>" + " &nbsp; ".join(items) + "</div>"


def render_figure(data: dict[str, Any], layer: str = "all") -> Any:
    """The accuracy-vs-tokens plane of one policy and aggregation, the choice marked.

    Args:
        data: what :func:`compute` returns.
        layer: ``"all"``; or ``"base"`` (everything but the choice, which depends only on the
            policy and the aggregation) and ``"marker"`` (the choice alone on a transparent
            figure of the same geometry), the two layers of the static lab.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(6.4, 3.6))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.92)  # fixed: fast to render
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_xlim(*_limits(data))
    ax.set_ylim(-0.02, 1.02)
    if layer in ("all", "marker"):
        ax.plot(  # the same mean tokens, spent by difficulty (never below the star)
            [data["adaptive_tokens"]],
            [data["adaptive_accuracy"]],
            marker="o",
            ms=13,
            mfc="none",
            mec="crimson",
            mew=1.8,
            ls="none",
            zorder=4,
        )
        ax.plot(
            [data["tokens"]],
            [data["accuracy"]],
            marker="*",
            ms=16,
            color="crimson",
            mec="black",
            ls="none",
            zorder=5,
        )
    if layer == "marker":
        fig.patch.set_alpha(0)
        ax.set_axis_off()
        return fig
    for b in BUDGETS:
        pts = sorted((q for q in data["points"] if q["budget"] == b), key=lambda q: q["k"])
        ax.plot(
            [q["tokens"] for q in pts],
            [q["accuracy"] for q in pts],
            "o-",
            ms=3,
            lw=1,
            color=budget_colour(b),
        )
    fr = data["frontier"]
    ax.step(
        [q["tokens"] for q in fr],
        [q["accuracy"] for q in fr],
        where="post",
        color="0.3",
        lw=2,
        alpha=0.5,
    )
    ad = data["adaptive_frontier"]
    ax.step(
        [q["tokens"] for q in ad],
        [q["accuracy"] for q in ad],
        where="post",
        color="crimson",
        lw=1.2,
        ls="--",
        alpha=0.8,
    )
    # Plain labels on a few ticks, no minor ticks: mathtext labels (10^2) and dozens of tick
    # artists cost more to draw than the data.
    lo, hi = _limits(data)
    ticks = [t for t in (1, 3, 10, 30, 100, 300, 1000, 3000) if lo <= t <= hi]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks((0, 0.25, 0.5, 0.75, 1))
    ax.set_xlabel("generated tokens per problem (what you pay for), log scale")
    ax.set_ylabel("accuracy (held-out)")
    agg = dict(AGGREGATIONS)[data["aggregation"]]
    ax.set_title(f"{data['policy']} policy, {agg}; points: k = 1, 2, 4, 8, 16", fontsize=10, y=1.0)
    ax.grid(alpha=0.3)
    return fig


def render_accuracy(data: dict[str, Any]) -> str:
    """The accuracy of the choice (with its standard error over problems), spent uniformly,
    and what the same mean tokens buy when spent by difficulty."""
    agg = dict(AGGREGATIONS)[data["aggregation"]]
    rows = [
        (
            f"accuracy, {agg}, k = {data['k']}, think ≤ {budget_label(data['budget'])}",
            f"{data['accuracy']:.2f} ± {data['accuracy_se']:.2f}",
        )
    ]
    rows.append(
        (
            f"spent by difficulty, {data['adaptive_tokens']:.0f} tokens per problem "
            f"(uniform: {data['tokens']:.0f}); chosen on these problems",
            f"{data['adaptive_accuracy']:.2f}",
        )
    )
    return readout(rows)


def render_per_difficulty(data: dict[str, Any]) -> str:
    """Per digit count: the uniform choice, and the strategy the adaptive allocation picks.

    Plain markup (no per-cell styles): the static lab ships one such table per choice."""
    head = (
        "<tr><th>digits</th><th>uniform: accuracy</th><th>tokens</th>"
        "<th>by difficulty: think ≤</th><th>k</th><th>accuracy</th><th>tokens</th></tr>"
    )
    body = "".join(
        f"<tr><td>{r['digits']}</td><td>{r['uniform_accuracy']:.2f}</td>"
        f"<td>{r['uniform_tokens']:.0f}</td><td>{budget_label(r['adaptive_budget'])}</td>"
        f"<td>{r['adaptive_k']}</td><td>{r['adaptive_accuracy']:.2f}</td>"
        f"<td>{r['adaptive_tokens']:.0f}</td></tr>"
        for r in data["per_difficulty"]
    )
    return (
        "<table class='rl-lab-readout' style='text-align:right;font-size:90%'>"
        f"<caption style='text-align:left'>per difficulty (digits of each operand)</caption>"
        f"{head}{body}</table>"
    )


def render_cost(data: dict[str, Any]) -> str:
    """What one answer costs: tokens paid and dollars (for 1,000 problems, to read easily)."""
    return readout(
        [
            ("tokens paid per problem", f"{data['tokens']:.0f}"),
            (
                f"cost of 1,000 problems at ${data['price']:g}/M tokens",
                f"${1000 * data['dollars']:.4f}",
            ),
        ]
    )


def render_latency(data: dict[str, Any]) -> str:
    """How long one answer takes: tokens waited for and seconds."""
    how = "longest of k" if data["mode"] == "parallel" else "all k, one after another"
    return readout(
        [
            (f"tokens waited for ({how})", f"{data['tokens_waited']:.0f}"),
            (f"latency at {data['speed']:g} tokens/s", f"{data['seconds']:.2f} s"),
        ]
    )


def render(data: dict[str, Any]) -> tuple[Any, str]:
    """The whole view: the figure, and the read-out as HTML."""
    return render_figure(data), (
        render_key()
        + render_accuracy(data)
        + render_per_difficulty(data)
        + render_cost(data)
        + render_latency(data)
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
