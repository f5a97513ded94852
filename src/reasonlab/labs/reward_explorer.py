"""Lab 2, the RLVR reward explorer: what do more verifiable-reward passes buy, and when?

Controls: the domain (math, logic, code), the number of RL passes (optimiser steps), the
baseline subtracted from the reward (none, a running mean, the group mean, GRPO's group mean and
standard deviation) and the group size (samples per prompt).

Data: one real training run per (domain, baseline, group size) from a zoo base policy, its
held-out ``pass_rate`` every few steps (:mod:`~reasonlab.labs.reward_explorer_runs`, which also
holds ``build()``).

Beyond the measured steps the lab extrapolates with a saturating curve and its bootstrap band
(:mod:`~reasonlab.labs.extrapolation`), clipped to [0, 1], where a pass rate lives: a rough
guide, not a forecast. This module holds the lab's controls, ``compute``, render and widgets.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .controls import Control, Layers, Panel
from .extrapolation import BAND, bootstrap_band, fit_saturating, saturating
from .frames import readout
from .reward_explorer_runs import (  # noqa: F401 (reward_explorer.RUN and .build: the build's)
    BASELINES,
    BASES,
    DOMAINS,
    GROUP_SIZES,
    NAME,
    RUN,
    build,
    history,
    recorded_domains,
    run,
)
from .static import lab_views

#: The passes slider goes past the measured steps: those values are extrapolated.
PASSES = (4, 8, 16, 24, 48, 96, 192)


def controls(static: bool = False) -> list[Control]:
    """The lab's controls (the static version has the same ones)."""
    del static
    return [
        Control("domain", "domain", recorded_domains(), recorded_domains()[0], "toggle"),
        Control("passes", "RL passes (steps)", PASSES, 24, "slider"),
        Control.dropdown("baseline", "baseline", BASELINES, "group_std"),
        Control("group_size", "group size", GROUP_SIZES, 4, "slider"),
    ]


# ----------------------------------------------------------------------------- compute


def _check(params: dict[str, Any]) -> None:
    for c in controls():
        if c.name not in params:
            raise ValueError(f"params is missing {c.name!r}")
        if c.name == "passes":
            if not isinstance(params["passes"], (int, np.integer)) or params["passes"] < 0:
                raise ValueError(f"passes must be a non-negative int, got {params['passes']!r}")
        elif params[c.name] not in c.values:
            raise ValueError(f"{c.name} must be one of {c.values}, got {params[c.name]!r}")


@functools.lru_cache(maxsize=256)
def _curves(baseline: str, group_size: int, domain: str) -> dict[str, Any]:
    h = history(domain, baseline, group_size)
    t = np.array([r["step"] for r in h], dtype=float)
    y = np.array([r["pass_rate"] for r in h], dtype=float)
    grid = np.linspace(0, max(PASSES), 161)
    # A pass rate lives in [0, 1]; the curve family does not know that, so clip what we show.
    fit, low, high = (np.clip(v, 0, 1) for v in bootstrap_band(t, y, grid, seed=RUN["seed"]))
    return {
        "steps": t,
        "pass_rate": y,
        "zero_std_steps": np.array([r["step"] for r in h if "frac_reward_zero_std" in r]),
        "frac_reward_zero_std": np.array(
            [r["frac_reward_zero_std"] for r in h if "frac_reward_zero_std" in r]
        ),
        "grid": grid,
        "fit": fit,
        "low": low,
        "high": high,
        "params": fit_saturating(t, y),
    }


def compute(params: dict[str, Any]) -> dict[str, Any]:
    """Curves of every domain for one (baseline, group size), and the numbers at ``passes``.

    Returns:
        ``curves`` (domain -> measured steps, pass rates, the fit and its band),
        ``measured`` (whether ``passes`` is within the recorded steps), ``pass_rate`` at
        ``passes`` (measured, linearly interpolated, or the fit beyond the data) with ``low``
        and ``high`` (the band), ``gain`` over step 0, and ``frac_reward_zero_std`` (share of
        groups whose samples all got the same reward, no learning signal) at the nearest
        recorded step.
    """
    _check(params)
    d, p = params["domain"], int(params["passes"])
    curves = {
        dom: _curves(params["baseline"], params["group_size"], dom) for dom in recorded_domains()
    }
    c = curves[d]
    last = float(c["steps"][-1])
    measured = p <= last
    if measured:
        rate = float(np.interp(p, c["steps"], c["pass_rate"]))
    else:
        rate = float(np.clip(saturating(p, *c["params"]), 0, 1))
    low = float(np.interp(p, c["grid"], c["low"]))
    high = float(np.interp(p, c["grid"], c["high"]))
    zs = c["zero_std_steps"]
    zero = float(c["frac_reward_zero_std"][np.abs(zs - min(p, last)).argmin()]) if len(zs) else None
    a, b, tau = (float(v) for v in c["params"])
    return {
        **params,
        "curves": curves,
        "measured": measured,
        "last_step": last,
        "pass_rate": rate,
        "start": float(c["pass_rate"][0]),
        "gain": rate - float(c["pass_rate"][0]),
        "low": low,
        "high": high,
        "frac_reward_zero_std": zero,
        "fit": {"a": a, "b": b, "tau": tau, "ceiling": min(1.0, a + b)},
    }


# ----------------------------------------------------------------------------- render


COLOURS = {"math": "tab:blue", "logic": "tab:orange", "code": "tab:green"}


def render_figure(data: dict[str, Any], layer: str = "all") -> Any:
    """Pass-rate curves (chosen domain bold, with its fit and band) and the no-signal share.

    Args:
        data: what :func:`compute` returns.
        layer: ``"all"``; or ``"base"`` (everything but the chosen number of passes, so one
            figure per domain, baseline and group size) and ``"marker"`` (only the passes
            marker, transparent, same geometry): the two layers of the static lab.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    fig = Figure(figsize=(7.2, 3.4))
    # A fixed layout, not "constrained": it renders twice as fast, which the static book needs.
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.91, wspace=0.28)
    gs = fig.add_gridspec(1, 2, width_ratios=(2.2, 1))
    ax = fig.add_subplot(gs[0])
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(0, max(PASSES))
    ax.set_ylim(-0.02, 1.02)
    if layer in ("all", "marker"):
        ax.axvline(data["passes"], color="crimson", lw=1.5)
        ax.plot([data["passes"]], [data["pass_rate"]], "*", ms=14, color="crimson", mec="black")
    if layer == "marker":
        # Same grid, so the same place on the page; the right-hand panel is not even made.
        fig.patch.set_alpha(0)
        ax.set_axis_off()
        return fig
    az = fig.add_subplot(gs[1])
    az.set_ylim(-0.02, 1.02)
    for dom, c in data["curves"].items():
        chosen = dom == data["domain"]
        ax.plot(
            c["steps"],
            c["pass_rate"],
            "o-" if chosen else "-",
            ms=3,
            lw=2 if chosen else 1,
            alpha=1 if chosen else 0.45,
            color=COLOURS[dom],
        )
        if chosen:
            ax.plot(c["grid"], c["fit"], "--", color=COLOURS[dom], lw=1)
            ax.fill_between(
                c["grid"],
                c["low"],
                c["high"],
                color=COLOURS[dom],
                alpha=0.15,
                lw=0,
            )
            az.plot(c["zero_std_steps"], c["frac_reward_zero_std"], "o-", ms=3, color=COLOURS[dom])
    ax.axvspan(data["last_step"], max(PASSES), color="0.92", zorder=0)
    ticks = (0, 8, 24, 96, 192)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("RL passes (optimiser steps); grey: extrapolated")
    ax.set_ylabel("held-out pass rate")
    label = dict(BASELINES)[data["baseline"]]
    # A fixed title height (y=1) skips matplotlib's search for a free spot: faster redraws.
    ax.set_title(f"{label}, group size {data['group_size']}", fontsize=10, y=1.0)
    ax.grid(alpha=0.3)
    # Few, explicit ticks: creating tick artists is most of the cost of drawing this figure.
    for a in (ax, az):
        a.set_yticks((0, 0.5, 1))
        a.yaxis.set_minor_locator(NullLocator())
    last = int(data["last_step"])
    az.set_xticks((0, last // 2, last))
    az.set_xlabel("RL step")
    az.set_ylabel("groups with no signal")
    az.set_title(f"{data['domain']}: all-same rewards", fontsize=10, y=1.0)
    az.grid(alpha=0.3)
    return fig


def render_key() -> str:
    """The figure's legend as HTML (a matplotlib legend costs more to draw than the plot)."""
    items = [f"<span style='color:{COLOURS[d]}'>&#9644;</span> {d}" for d in recorded_domains()]
    items += [
        "bold with dots: the chosen domain, its fit (dashed) and "
        f"{BAND[0]}-{BAND[1]}% bootstrap band (shaded)",
        "<span style='color:crimson'>&#9733;</span> the chosen number of passes",
    ]
    return "<div style='font-size:85%'>" + " &nbsp; ".join(items) + "</div>"


def render_readout(data: dict[str, Any]) -> str:
    """The numbers at the chosen number of passes, in words."""
    kind = "measured" if data["measured"] else "extrapolated by the fit"
    zero = data["frac_reward_zero_std"]
    rows = [
        (
            f"pass rate after {data['passes']} passes ({kind})",
            f"{data['pass_rate']:.2f} (band {data['low']:.2f}-{data['high']:.2f})",
        ),
        ("gain over the base policy", f"{data['gain']:+.2f}"),
        ("groups with no learning signal", "n/a" if zero is None else f"{zero:.0%}"),
        (
            "fitted ceiling min(1, a + b)",
            f"{data['fit']['ceiling']:.2f} (tau = {data['fit']['tau']:.0f} steps)",
        ),
    ]
    return readout(rows)


def render(data: dict[str, Any]) -> tuple[Any, str]:
    return render_figure(data), render_key() + render_readout(data)


# ----------------------------------------------------------------------------- widgets


def panels() -> list:
    """What the lab shows, live or static: the figure (base + passes marker) and read-outs."""
    names = ("domain", "baseline", "group_size")
    return [
        Layers(
            (
                Panel(lambda p: render_figure(compute(p), "base"), names),
                Panel(lambda p: render_figure(compute(p), "marker"), (*names, "passes")),
            )
        ),
        Panel(lambda p: render_key()),
        Panel(lambda p: render_readout(compute(p)), (*names, "passes")),
    ]


#: The live lab (needs a kernel), the kernel-free one for the book, and the notebook's one cell.
widget, static, show = lab_views(__name__, "reward explorer")
