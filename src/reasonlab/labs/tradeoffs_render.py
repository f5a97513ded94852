"""The trade-offs lab's render layer: the accuracy-vs-tokens figure and the read-outs.

Each function takes what :func:`reasonlab.labs.tradeoffs.compute` returns. The figure comes in two
layers for the static lab (the curves of a policy and aggregation, and the marker of the choice
on a transparent figure of the same geometry); the read-outs are plain HTML.
"""

from __future__ import annotations

from typing import Any

from .frames import readout
from .tradeoffs_sweep import AGGREGATIONS, BUDGETS, budget_label


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


def _staircase(ax: Any, frontier: list[dict[str, Any]], **style: Any) -> None:
    """A frontier (cheapest first) as a staircase: each accuracy holds until a dearer point."""
    ax.step(
        [q["tokens"] for q in frontier], [q["accuracy"] for q in frontier], where="post", **style
    )


def _mark(ax: Any, point: dict[str, Any], **style: Any) -> None:
    """One point (its ``tokens`` and ``accuracy``) as a lone marker."""
    ax.plot([point["tokens"]], [point["accuracy"]], ls="none", **style)


def render_figure(data: dict[str, Any], layer: str = "all") -> Any:
    """The accuracy-vs-tokens plane of one policy and aggregation, the choice marked.

    Args:
        data: what :func:`reasonlab.labs.tradeoffs.compute` returns.
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
        # the same mean tokens, spent by difficulty (never below the star), then the choice
        at = {"tokens": data["adaptive_tokens"], "accuracy": data["adaptive_accuracy"]}
        _mark(ax, at, marker="o", ms=13, mfc="none", mec="crimson", mew=1.8, zorder=4)
        _mark(ax, data, marker="*", ms=16, color="crimson", mec="black", zorder=5)
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
    _staircase(ax, data["frontier"], color="0.3", lw=2, alpha=0.5)
    _staircase(ax, data["adaptive_frontier"], color="crimson", lw=1.2, ls="--", alpha=0.8)
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
