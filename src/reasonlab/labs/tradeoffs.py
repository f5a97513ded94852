"""Lab 3, inference-time scaling trade-offs: accuracy, latency and cost of thinking and sampling.

Controls: the thinking budget, the number of samples k, how the k samples become one answer
(majority vote; best-of-N picked by the policy's own confidence; pass@k, the ceiling an oracle
verifier would reach), the policy (base or after RLVR), the price per million generated tokens,
the decoding speed, and whether the k samples run in parallel (one batch: wait for the longest)
or one after another (wait for all of them).

The numbers come from one :func:`reasonlab.scaling.sweep` per policy on held-out problems, stored
by ``python -m reasonlab.labs build tradeoffs`` in ``data/labs/tradeoffs.json``; ``compute`` only
looks rows up and applies the cost model of :func:`reasonlab.scaling_experiments.with_cost`.
"""

from __future__ import annotations

import functools
from typing import Any

from . import store
from .static import Control, Layers, Panel, build_static, kernel_free, live, readout
from .static import show as show_either

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

# The sweep behind the artifact: held-out problems of every domain, one seed.
SWEEP = {
    "domains": ("math",),  # the domain of the zoo's RLVR run (rl.zoo.RL_PROBLEMS)
    "problems_per_domain": 48,
    "difficulty": (1, 4),
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
        Control(
            "aggregation",
            "aggregate",
            tuple(a for a, _ in AGGREGATIONS),
            "majority_at_k",
            "dropdown",
            tuple(label for _, label in AGGREGATIONS),
        ),
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
    rows = store.load(NAME)["rows"]
    return {(r["policy"], r["budget_tokens"], r["k"]): r for r in rows}


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
    return {
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
        A dict with the choice's ``accuracy`` (and ``accuracy_se``), ``tokens`` paid per
        problem, ``seconds`` and ``dollars`` per problem, all ``points`` (budget, k, tokens,
        accuracy) of that policy and aggregation, and the accuracy-cost ``frontier``.
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
        swatch.format("#999999", "accuracy-cost frontier"),
        "<span style='color:crimson'>&#9733;</span> your choice",
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
    """The accuracy of the choice, with its standard error over problems."""
    agg = dict(AGGREGATIONS)[data["aggregation"]]
    return readout(
        [
            (
                f"accuracy, {agg}, k = {data['k']}, think ≤ {budget_label(data['budget'])}",
                f"{data['accuracy']:.2f} ± {data['accuracy_se']:.2f}",
            )
        ]
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
    return render_figure(data), render_key() + render_accuracy(data) + render_cost(
        data
    ) + render_latency(data)


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
        Panel(lambda p: render_cost(compute(p)), ("policy", "budget", "k", "price")),
        Panel(lambda p: render_latency(compute(p)), ("policy", "budget", "k", "mode", "speed")),
    ]


def widget() -> Any:
    """The live lab (needs a kernel): every move redraws the one output area."""
    return live(controls(), panels())


def static() -> Any:
    """The same lab for the book: frames precomputed, picked in the browser (no kernel)."""
    return kernel_free(
        lambda: build_static(controls(static=True), panels()), widget, "trade-offs lab"
    )


def show() -> Any:
    """The one cell of the lab's notebook: kernel-free when the project's executor runs it
    (``REASONLAB_STATIC_WIDGETS=1``: stored outputs, the book), live in any other kernel."""
    return show_either(static, widget)


# ----------------------------------------------------------------------------- build


def build(*, quick: bool = False) -> dict[str, Any]:
    """Run the sweep behind the lab (the artifact ``data/labs/tradeoffs.json``).

    Args:
        quick: a cheap slice for tests: the base policy at the first budget only. Budgets are
            sampled independently with the same seed, so its rows must equal the artifact's.
    """
    from reasonlab import scaling, tasks, zoo

    cfg = dict(SWEEP)
    problems = [
        p
        for d in cfg["domains"]
        for p in tasks.make(
            d,
            cfg["problems_per_domain"],
            difficulty=tuple(cfg["difficulty"]),
            seed=cfg["seed"],
            split="test",
        )
    ]
    budgets = [None if b < 0 else b for b in (BUDGETS[:1] if quick else BUDGETS)]
    rows = []
    for name in POLICIES[:1] if quick else POLICIES:
        policy = zoo.load(name)
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
                    "budget_tokens": -1 if cap is None else cap,
                    "k": row["k"],
                    **{
                        key: round(row[key], 6)
                        for key in (
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
                    },
                    "num_problems": row["num_problems"],
                }
            )
    return {
        "sweep": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
        "rows": rows,
    }
