"""Lab 2, the RLVR reward explorer: what do more verifiable-reward passes buy, and when?

Controls: the domain (math, logic, code), the number of RL passes (optimiser steps), the
baseline subtracted from the reward (none, a running mean, the group mean, GRPO's group mean and
standard deviation) and the group size (samples per prompt).

Data: one real training run per (domain, baseline, group size), started from a zoo base policy
with the same seed, its held-out ``pass_rate`` measured every few steps, recorded by
``python -m reasonlab.labs build reward_explorer`` in ``data/labs/reward_explorer.json``. Math
runs start from the chapter's ``base`` (taught math only); logic and code runs from
``base-multi``, the same SFT recipe on a mixture of all three domains (see :data:`BASES`).

Beyond the measured steps the lab extrapolates with a saturating curve

    pass_rate(t) = a + b * (1 - exp(-t / tau)),

fitted by least squares (for each tau on a log grid, a and b are linear and solved exactly; the
tau with the smallest squared error wins). The band is a residual bootstrap: refit on the fitted
curve plus resampled residuals, 200 times with a fixed seed, and take the 10th-90th percentiles.
Shown values are clipped to [0, 1], where a pass rate lives. A three-parameter curve through a
handful of noisy points is a rough guide, not a forecast: the band
says how rough, and it widens as you move away from the data.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import store
from .controls import Control, Layers, Panel
from .frames import readout
from .static import lab_views

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
#: The passes slider goes past the measured steps: those values are extrapolated.
PASSES = (4, 8, 16, 24, 48, 96, 192)
BOOTSTRAP = 200
BAND = (10, 90)  # percentiles of the bootstrap band
TAUS = np.geomspace(0.5, 400.0, 80)  # grid for the time constant of the fit, in steps


def controls(static: bool = False) -> list[Control]:
    """The lab's controls (the static version has the same ones)."""
    del static
    return [
        Control("domain", "domain", recorded_domains(), recorded_domains()[0], "toggle"),
        Control("passes", "RL passes (steps)", PASSES, 24, "slider"),
        Control.dropdown("baseline", "baseline", BASELINES, "group_std"),
        Control("group_size", "group size", GROUP_SIZES, 4, "slider"),
    ]


# ----------------------------------------------------------------------------- the fit


def saturating(t: np.ndarray, a: float, b: float, tau: float) -> np.ndarray:
    """a + b (1 - exp(-t / tau)): starts at a, approaches a + b with time constant tau."""
    return a + b * (1.0 - np.exp(-np.asarray(t, dtype=float) / tau))


def fit_saturating(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares fit of :func:`saturating` to one or many curves at once.

    Args:
        t: (T,) steps.
        y: (T,) or (B, T) values.

    Returns:
        (3,) or (B, 3): a, b, tau of the best fit (tau from the grid ``TAUS``).
    """
    t = np.asarray(t, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))  # (B, T)
    if y.shape[1] != t.shape[0] or t.shape[0] < 3:
        raise ValueError(f"need >= 3 points and matching shapes, got t {t.shape}, y {y.shape}")
    x = 1.0 - np.exp(-t[None, :] / TAUS[:, None])  # (G, T)
    # For fixed tau this is ordinary least squares on [1, x]: closed form per grid point.
    xm, ym = x.mean(axis=1), y.mean(axis=1)  # (G,), (B,)
    xc = x - xm[:, None]  # (G, T)
    sxx = (xc**2).sum(axis=1)  # (G,)
    sxy = np.einsum("gt,bt->bg", xc, y)  # (B, G)
    b = sxy / sxx[None, :]  # (B, G)
    a = ym[:, None] - b * xm[None, :]  # (B, G)
    pred = a[:, :, None] + b[:, :, None] * x[None, :, :]  # (B, G, T)
    sse = ((pred - y[:, None, :]) ** 2).sum(axis=2)  # (B, G)
    g = sse.argmin(axis=1)  # (B,)
    rows = np.arange(y.shape[0])
    out = np.stack([a[rows, g], b[rows, g], TAUS[g]], axis=1)
    return out[0] if out.shape[0] == 1 and np.ndim(y) == 2 and y.shape[0] == 1 else out


def bootstrap_band(t: np.ndarray, y: np.ndarray, grid: np.ndarray, *, seed: int = 0):
    """The fit on ``grid`` and its (low, high) residual-bootstrap band.

    Returns:
        (fit, low, high), each shaped like ``grid``.
    """
    t, y, grid = (np.asarray(v, dtype=float) for v in (t, y, grid))
    params = fit_saturating(t, y)
    fitted = saturating(t, *params)
    resid = y - fitted
    rng = np.random.default_rng(seed)
    boot_y = fitted[None, :] + rng.choice(resid, size=(BOOTSTRAP, len(t)), replace=True)
    boot = fit_saturating(t, boot_y)  # (BOOTSTRAP, 3)
    curves = boot[:, :1] + boot[:, 1:2] * (1 - np.exp(-grid[None, :] / boot[:, 2:3]))
    low, high = np.percentile(curves, BAND, axis=0)
    return saturating(grid, *params), low, high


# ----------------------------------------------------------------------------- compute


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


# ----------------------------------------------------------------------------- build


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
