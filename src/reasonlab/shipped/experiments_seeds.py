"""The comparisons of notebooks 03 and 04 over five paired seeds, with intervals.

Every arm of :data:`reasonlab.shipped.experiments.COMPARISONS` (five baselines, STaR against
REINFORCE, dropping or filtering groups, three KL coefficients, four token costs) is trained
once per seed in :data:`SEEDS`. Seed ``s`` fixes everything an arm does not change:

* the starting weights: the zoo's ``zoo.seed_base(s)`` (the base recipe trained with seed ``s``);
* the RL seed ``s``: the order of the training prompts and the sampler's seed at every step;
* the held-out set, :func:`held_out_set`, one fixed list of *distinct* test-split problems per
  difficulty (every one-digit problem of the test split, :data:`HELD_OUT` of each other
  difficulty), the same for every seed and arm, evaluated every :data:`EVAL_EVERY` steps.

Two arms of one seed are therefore a *pair*: they differ only in the arm's setting, so the
per-seed difference of a metric (:func:`reasonlab.core.stats.paired_difference`) removes what an
easy base or an easy draw of prompts adds to both. Tables give the mean over the five seeds and
a 95% t-interval (:func:`reasonlab.core.stats.mean_ci`, ``mean +- t(0.975, 4) * sd / sqrt(5)``);
curves give the mean with the same interval at every evaluated step
(:func:`reasonlab.core.stats.band`). The tables themselves are :mod:`reasonlab.shipped.seed_tables`;
:func:`summarize` applies them to every comparison.

The chapter's seed 0 (the shipped ``base`` and the zoo's ``rlvr``) stays the single run the
notebooks show in detail; it is not one of these seeds.

Shipped data: one artifact per arm, ``experiments/seeds/<arm>`` of ``python -m reasonlab.build``,
a JSON file with each seed's run (:func:`compact`: the training metrics the notebooks plot at
every step, the held-out metrics at every evaluation, floats rounded to :data:`DIGITS`
decimals, which keeps a file at a third of its size and the differences the tables show).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..core import artifacts, metrics
from ..training.rl import RLConfig, train_rlvr
from ..world import tasks
from . import zoo
from .experiments import COMPARISONS, RESULTS_DIR, RUNS, filter_by_difficulty, train_problems
from .seed_tables import Column, arm_table, difference_table

#: The paired seeds of every comparison (the zoo's bases ``base-s1`` .. ``base-s5``).
SEEDS = (1, 2, 3, 4, 5)
#: Held-out evaluation every this many updates (and at step 0 and the last step).
EVAL_EVERY = 5
#: Distinct held-out problems per difficulty; one digit has fewer in its test split (all kept).
HELD_OUT = {1: None, 2: 100, 3: 100, 4: 100}
LEVELS = (1, 2, 3, 4)
#: Decimals kept in the shipped files.
DIGITS = 4
#: Every arm, by run name: the zoo's default RL config with the change of
#: :data:`reasonlab.shipped.experiments.RUNS` (``"group"`` is the default itself).
ARMS: dict[str, dict] = {"group": {}, **RUNS}
#: The arm each comparison's differences are taken against (labels of ``COMPARISONS``).
REFERENCES = {
    "baselines": "group",
    "star": "REINFORCE, no baseline",
    "dynamic": "all groups",
    "kl": "kl_coef=0",
    "cost": "cost_per_token=0",
}
#: Training metrics kept at every step.
TRAIN_KEYS = (
    metrics.REWARD_MEAN,
    metrics.FRAC_ZERO_STD,
    metrics.THINK_USAGE,
    metrics.MEAN_TOKENS,
    metrics.KL,
    metrics.ENTROPY,
    metrics.GRAD_NORM,
)
#: Held-out metrics kept at every evaluation, overall and per difficulty. The overall value is
#: the unweighted mean of the four difficulties (each weighs the same, whatever its set's size).
EVAL_PREFIXES = (
    "pass_rate/greedy",
    "pass_rate/sampled",
    "eval/think/usage",
    "eval/completion/mean_tokens",
)
SEEDS_DIR = RESULTS_DIR / "seeds"


def base_name(seed: int) -> str:
    """The zoo name of seed ``seed``'s starting policy."""
    return zoo.seed_base(seed)


def arm_config(arm: str, seed: int) -> RLConfig:
    """The RL config of ``arm`` for ``seed``: the zoo's default, the arm's change, the seed."""
    if arm not in ARMS:
        raise KeyError(f"unknown arm {arm!r}; known: {sorted(ARMS)}")
    return replace(zoo.default_rl_config(), **ARMS[arm], seed=seed, eval_every=EVAL_EVERY)


# ----------------------------------------------------------------------------- held-out set


def held_out_set(sizes: Mapping[int, int | None] = HELD_OUT) -> list[tasks.Problem]:
    """Distinct test-split math problems, difficulty by difficulty (``None``: all of them).

    One-digit sums have 100 possible prompts, 21 of them in the test split: all 21 are used,
    each once (a set drawn with repeats would count the same problem several times and
    understate the standard error). Larger difficulties take the first distinct problems of
    the test split's seed-0 stream.
    """
    out = []
    for d, size in sizes.items():
        limit = size if size is not None else math.inf
        seen: dict[str, tasks.Problem] = {}
        draws = tasks.make("math", 3000 if size is None else 4 * size, difficulty=d, split="test")
        for p in draws:
            if len(seen) >= limit:
                break
            seen.setdefault(p.prompt, p)
        if size is not None and len(seen) < size:
            raise ValueError(f"only {len(seen)} distinct {d}-digit test problems drawn")
        out += list(seen.values())
    return out


def held_out_sizes(problems: Sequence[tasks.Problem]) -> dict[str, int]:
    counts = {f"d{d}": sum(p.difficulty == d for p in problems) for d in LEVELS}
    return {**counts, "distinct": len({p.prompt for p in problems})}


# ----------------------------------------------------------------------------- runs


def _balanced(row: Mapping, prefix: str) -> float | None:
    vals = [row.get(f"{prefix}/d{d}") for d in LEVELS]
    if any(v is None for v in vals):
        return None
    return sum(vals) / len(vals)


def _round(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return round(float(v), DIGITS)


def compact(history: Sequence[Mapping]) -> dict:
    """A training history as columns: ``{"train": {key: [...]}, "eval": {key: [...]}}``.

    ``train`` has ``step`` and :data:`TRAIN_KEYS` for every update (row 0, before training, has
    none of them: ``None``); ``eval`` has ``step`` and every :data:`EVAL_PREFIXES` key, overall
    (the mean of the difficulties) and per difficulty, at each evaluated step only.
    """
    train = {"step": [r[metrics.STEP] for r in history]}
    for k in TRAIN_KEYS:
        train[k] = [_round(r.get(k)) for r in history]
    rows = [r for r in history if r.get(metrics.EVAL_STEP) == r[metrics.STEP]]
    ev: dict[str, list] = {"step": [r[metrics.STEP] for r in rows]}
    for prefix in EVAL_PREFIXES:
        ev[prefix] = [_round(_balanced(r, prefix)) for r in rows]
        for d in LEVELS:
            ev[f"{prefix}/d{d}"] = [_round(r.get(f"{prefix}/d{d}")) for r in rows]
    return {"train": train, "eval": ev}


def expand(run: Mapping) -> list[dict]:
    """The history of a :func:`compact` run: one row per step, each held-out value carried
    forward from the last evaluation (with ``eval_step``), as
    :func:`reasonlab.training.rl.train_rlvr`
    logs them, so the plots of :mod:`reasonlab.plots.history` read it unchanged."""
    train, ev = run["train"], run["eval"]
    evals = {s: {k: ev[k][i] for k in ev if k != "step"} for i, s in enumerate(ev["step"])}
    out, last = [], {}
    for i, step in enumerate(train["step"]):
        row = {metrics.STEP: step}
        row.update({k: train[k][i] for k in train if k != "step" and train[k][i] is not None})
        if step in evals:
            last = {metrics.EVAL_STEP: step, **evals[step]}
        row.update(last)
        out.append(row)
    return out


def run(arm: str, seed: int, *, steps: int | None = None, progress: bool = False) -> dict:
    """Train ``arm`` from seed ``seed``'s base; returns ``{"run": compact history, ...}``.

    ``steps`` shortens the run (the tests' cheap slice); ``"difficulty-filtered"`` also
    returns the filter's summary (``difficulty_filter``).
    """
    cfg = arm_config(arm, seed)
    if steps is not None:
        cfg = replace(cfg, steps=steps)
    policy = zoo.load(base_name(seed))
    problems = train_problems()
    out: dict = {}
    if arm == "difficulty-filtered":
        problems, out["difficulty_filter"] = filter_by_difficulty(
            policy, problems[:1000], seed=seed
        )
    hist = train_rlvr(policy, problems, cfg, eval_problems=held_out_set(), progress=progress)
    out["run"] = compact(hist)
    return out


def recipe(arm: str) -> dict:
    """What determines ``arm``'s artifact (hashed by the build, with the seed bases' keys)."""
    cfg = arm_config(arm, SEEDS[0]).recipe()
    del cfg["seed"]
    out = {
        "arm": arm,
        "config": cfg,
        "seeds": list(SEEDS),
        "problems": zoo.RL_PROBLEMS,
        "held_out": {str(d): n for d, n in HELD_OUT.items()},
        "train_keys": list(TRAIN_KEYS),
        "eval_prefixes": list(EVAL_PREFIXES),
        "digits": DIGITS,
    }
    if arm == "difficulty-filtered":
        import inspect

        sig = inspect.signature(filter_by_difficulty)
        out["filter"] = {
            k: p.default for k, p in sig.parameters.items() if p.default is not p.empty
        }
    return out


def path(arm: str, folder: Path = SEEDS_DIR) -> Path:
    return folder / f"{arm}.json"


def build(arm: str, *, progress: bool = True) -> dict:
    """Every seed of ``arm``: ``{"meta": ..., "seeds": {"<s>": run(arm, s)}}``."""
    held = held_out_set()
    meta = {
        "arm": arm,
        "recipe": recipe(arm),
        "base_keys": {str(s): zoo.key(base_name(s)) for s in SEEDS},
        "held_out_sizes": held_out_sizes(held),
        "eval_every": EVAL_EVERY,
        "note": (
            f"floats rounded to {DIGITS} decimals; overall held-out values are the unweighted "
            "mean of the four difficulties"
        ),
        "command": f"python -m reasonlab.build experiments/seeds/{arm}",
    }
    return {"meta": meta, "seeds": {str(s): run(arm, s, progress=progress) for s in SEEDS}}


def write(arm: str, folder: Path = SEEDS_DIR) -> Path:
    """Build ``arm`` (:func:`build`) and write its JSON file."""
    return artifacts.write_result(path(arm, folder), build(arm))


# ----------------------------------------------------------------------------- loading


def read(arm: str, folder: Path = SEEDS_DIR, *, check: bool = True) -> dict:
    """One arm's shipped file; with ``check``, refuse one built from other bases."""
    now = {"recipe": recipe(arm), "base_keys": {str(s): zoo.key(base_name(s)) for s in SEEDS}}
    name = f"experiments/seeds/{arm}"
    return artifacts.read_result(path(arm, folder), name, now if check else None)


def _first_eval(data: Mapping, seed: str) -> dict:
    ev = data["seeds"][seed]["run"]["eval"]
    return {k: v[0] for k, v in ev.items()}


def load(folder: Path = SEEDS_DIR, *, check: bool = True) -> dict:
    """Every arm over every seed, grouped as the notebooks compare them.

    Returns:
        ``{"arms": {arm: {seed: history}}, "runs": {comparison: {label: {seed: history}}},
        "meta": {arm: meta}, "difficulty_filter": {seed: summary}, "seeds": [...]}``. With
        ``check``, every arm of a seed must start from the same held-out evaluation (same
        base, same held-out set); otherwise the bases changed since the build.
    """
    files = {arm: read(arm, folder, check=check) for arm in ARMS}
    if check:
        for s in map(str, SEEDS):
            ref = _first_eval(files["group"], s)
            for arm, data in files.items():
                if _first_eval(data, s) != ref:
                    raise ValueError(
                        f"arm {arm!r}, seed {s} starts from another evaluation than arm "
                        f"'group' (base or sampler changed): rebuild with "
                        f"`python -m reasonlab.build experiments`"
                    )
    arms = {
        arm: {int(s): expand(r["run"]) for s, r in data["seeds"].items()}
        for arm, data in files.items()
    }
    runs = {
        comp: {label: arms[name] for label, name in table.items()}
        for comp, table in COMPARISONS.items()
    }
    filt = {
        int(s): r["difficulty_filter"] for s, r in files["difficulty-filtered"]["seeds"].items()
    }
    return {
        "arms": arms,
        "runs": runs,
        "meta": {arm: data["meta"] for arm, data in files.items()},
        "difficulty_filter": filt,
        "seeds": list(SEEDS),
    }


# ----------------------------------------------------------------------------- summaries

#: The summary of every arm: final held-out greedy pass rate overall and per difficulty, its
#: best evaluation, the held-out thinking share and tokens per answer (one sample per problem).
SUMMARY_COLUMNS: tuple[Column, ...] = (
    "pass_rate/greedy",
    *(f"pass_rate/greedy/d{d}" for d in LEVELS),
    ("pass_rate/greedy", "best"),
    "pass_rate/sampled",
    "eval/think/usage",
    "eval/completion/mean_tokens",
)


def summarize(
    results: Mapping, columns: Sequence[Column] = SUMMARY_COLUMNS
) -> dict[str, dict[str, list[dict]]]:
    """Per comparison of :func:`load`'s ``results``: ``{"arms": arm_table rows, "differences":
    difference_table rows against the comparison's reference}`` (:data:`REFERENCES`; the tables
    of :mod:`reasonlab.shipped.seed_tables`)."""
    out = {}
    for comp, arms in results["runs"].items():
        out[comp] = {
            "arms": arm_table(arms, columns),
            "differences": difference_table(arms, REFERENCES[comp], columns),
        }
    return out


def first_difference(
    a: Sequence[Mapping], b: Sequence[Mapping], keys: Sequence[str] = TRAIN_KEYS[:4]
) -> int | None:
    """The first update step at which two runs' training batches differ in any of ``keys``
    (``None`` if they never do)."""
    for ra, rb in zip(a[1:], b[1:], strict=True):
        if any(ra.get(k) != rb.get(k) for k in keys):
            return ra[metrics.STEP]
    return None


def twin_table(
    a: Mapping[int, Sequence[Mapping]], b: Mapping[int, Sequence[Mapping]], names=("a", "b")
) -> list[dict]:
    """Per seed, how long two arms were the same run: the last step before their training
    batches first differ (:func:`first_difference`), and each arm's smallest gradient norm
    before clipping."""
    rows = []
    for s in sorted(a):
        first = first_difference(a[s], b[s])
        rows.append(
            {
                "seed": s,
                "same batches through step": (len(a[s]) - 1) if first is None else first - 1,
                **{
                    f"min grad_norm, {n}": min(r[metrics.GRAD_NORM] for r in h[s][1:])
                    for n, h in zip(names, (a, b), strict=True)
                },
            }
        )
    return rows
