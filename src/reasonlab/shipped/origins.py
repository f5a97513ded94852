"""Where the reasoning comes from: the runs of notebook 13 over five paired seeds.

Four questions about what reinforcement learning with a verifier adds to the base it starts
from, each answered by runs that share the zoo's default RL recipe (:func:`rl_config`) and the
held-out set of :mod:`reasonlab.shipped.experiments_seeds`:

* **prior** (:func:`prior_run`): bases retrained with another share of thinking
  demonstrations (:data:`THINK_FRACS`; 0.3 is the zoo's own seed base), their thinking share
  and pass@k before RL (:func:`profile`), then the same RL run from each.
* **controls** (:func:`control_run`): the same RL from the zoo's seed bases with a reward that
  carries no information about being right (a fair coin), one that pays for the answer's
  format only, and one that pays for a wrong answer (``training_rewards``).
* **narrow** (:func:`narrow_run`): RL on 1, 16 or 256 fixed prompts, practised over and over,
  against cross-entropy on the same prompts' reference demonstrations (:func:`sft.fit`).
* **checks** (:func:`checks_run`): bases primed with the ``redo`` self-check
  (``tasks.CHECK_STYLES``) at :data:`CHECK_RATES`, their checks counted and judged before and
  after RL (``evaluation.self_check_stats``).

The bases other than the zoo's seed bases are zoo recipes registered here (:func:`register`),
trained once into the cache (about 80 s each on one thread) and not shipped: only the results
are (``origins/<part>`` of ``python -m reasonlab.build``, small JSON files).
"""

from __future__ import annotations

import random
import time
from dataclasses import replace
from pathlib import Path

from ..core import artifacts, metrics
from ..measurement.evaluation import self_check_stats, thinks
from ..training.sft import recipe as sft_recipe
from . import zoo
from .experiments_seeds import held_out_set

DATA_DIR = artifacts.DATA_DIR / "origins"
PARTS = ("prior", "controls", "narrow", "checks")

#: The paired seeds (the zoo's seed bases ``base-s1`` .. ``base-s5`` for ``think_frac`` 0.3).
SEEDS = zoo.SEEDS
#: Shares of thinking demonstrations in the base's SFT mixture (0.3 is the book's recipe).
THINK_FRACS = (0.0, 0.01, 0.03, 0.1, 0.3)


def prior_sft_config(think_frac: float, seed: int):
    """The seed base recipe with another share of thinking demonstrations."""
    return replace(zoo.seed_sft_config(seed), think_frac=think_frac)


def prior_base(think_frac: float, seed: int) -> str:
    """Zoo name of the base with ``think_frac`` and ``seed`` (the zoo's own seed base at 0.3)."""
    if think_frac == zoo.default_sft_config().think_frac:
        return zoo.seed_base(seed)
    return f"prior-t{think_frac:g}-s{seed}"


#: Self-check style and rates of the check-primed bases (0: a base that never checks).
CHECK_STYLE = "redo"
CHECK_RATES = (0.0, 0.3)
#: The book's own base (``subtract`` checks at the recipe's ``check_rate``) is measured too.
BOOK_CHECKS = "subtract"


def check_sft_config(check_rate: float, seed: int):
    """The seed base recipe with ``redo`` self-checks at ``check_rate`` (0: no checks)."""
    style = CHECK_STYLE if check_rate > 0 else "subtract"
    return replace(zoo.seed_sft_config(seed), check_rate=check_rate, check_style=style)


def check_base(check_rate: float, seed: int) -> str:
    """Zoo name of the check-primed base."""
    return f"checks-c{check_rate:g}-s{seed}"


#: Rewards of the controls (``training_rewards.REWARDS``); the verifier run is the prior's 0.3.
CONTROLS = ("coin", "format", "negated")
#: Fixed prompt sets of the narrow-practice runs, and the methods compared on them.
NARROW_SIZES = (1, 16, 256)
NARROW_METHODS = ("rl", "sft")
#: Cross-entropy on the demonstrations: 240 updates of up to 64 of them (one RL update trains on
#: 32 prompts x 8 samples = 256 completions: 60 updates x 256 = 240 x 64 sequences).
SFT_STEPS = 240
SFT_BATCH = 64
SFT_LR = 1e-3
#: Samples per problem when a base is profiled (pass@k) and when checks are counted.
PROFILE_K = 8
CHECK_SAMPLES = 4
DIGITS = 4
LEVELS = (1, 2, 3, 4)


def _sft_recipe(name: str, cfg) -> zoo.Recipe:
    def build_(load_parent):
        from ..training.sft import train_base

        return train_base(cfg, name=name, progress=False)

    return zoo.Recipe(build_, {"sft": sft_recipe(cfg)}, (), shipped=False)


def register() -> None:
    """Register every base of this module in the zoo (trained once, kept in the cache)."""
    for f in THINK_FRACS:
        for s in SEEDS:
            name = prior_base(f, s)
            if name.startswith("prior-"):
                zoo.register(name, _sft_recipe(name, prior_sft_config(f, s)), replace=True)
    for c in CHECK_RATES:
        for s in SEEDS:
            name = check_base(c, s)
            zoo.register(name, _sft_recipe(name, check_sft_config(c, s)), replace=True)


register()


# ----------------------------------------------------------------------------- measurements


def rl_config(seed: int, **change):
    """The zoo's default RL run with seed ``seed``, evaluated at its two ends only."""
    cfg = zoo.default_rl_config()
    return replace(cfg, seed=seed, eval_every=cfg.steps, **change)


def _r(v) -> float | None:
    return None if v is None else round(float(v), DIGITS)


def _balanced(values: dict, prefix: str) -> float:
    return sum(values[f"{prefix}/d{d}"] for d in LEVELS) / len(LEVELS)


def profile(policy, problems=None, *, k: int = PROFILE_K, seed: int = 0) -> dict:
    """What a policy does when sampled ``k`` times per held-out problem (temperature 1).

    Returns:
        ``think`` (share of samples that think first), ``pass1`` (share of right samples),
        ``pass_k`` (share of problems solved by at least one sample), ``pass_k_think`` (solved
        by at least one sample that thinks: what RL can select), each overall (the mean of the
        four difficulties) and per difficulty (``/d<k>``), and ``tokens`` per sample.
    """
    from ..world import tasks

    problems = problems if problems is not None else held_out_set()
    out = policy.sample([p.prompt for p in problems], num_samples=k, seed=seed)
    rows = [p for p in problems for _ in range(k)]
    right = tasks.rewards(rows, out.completions)
    think = [thinks(c) for c in out.completions]
    res: dict = {}
    levels = [d for d in LEVELS if any(p.difficulty == d for p in problems)]
    for d in levels:
        idx = [i for i, p in enumerate(problems) if p.difficulty == d]
        samples = [i * k + j for i in idx for j in range(k)]
        res[f"think/d{d}"] = sum(think[i] for i in samples) / len(samples)
        res[f"pass1/d{d}"] = sum(right[i] > 0 for i in samples) / len(samples)
        res[f"pass_k/d{d}"] = sum(any(right[i * k + j] > 0 for j in range(k)) for i in idx) / len(
            idx
        )
        res[f"pass_k_think/d{d}"] = sum(
            any(right[i * k + j] > 0 and think[i * k + j] for j in range(k)) for i in idx
        ) / len(idx)
    for key in ("think", "pass1", "pass_k", "pass_k_think"):
        # the mean over the difficulties present (all four on the held-out set)
        res[key] = sum(res[f"{key}/d{d}"] for d in levels) / len(levels)
    res["tokens"] = sum(out.num_tokens) / len(out.num_tokens)
    return {key: _r(v) for key, v in sorted(res.items())}


def check_profile(policy, problems=None, *, k: int = CHECK_SAMPLES, seed: int = 0) -> dict:
    """``evaluation.self_check_stats`` of ``k`` samples per held-out problem, with the pass
    rate and tokens of the same samples."""
    from ..world import tasks

    problems = problems if problems is not None else held_out_set()
    out = policy.sample([p.prompt for p in problems], num_samples=k, seed=seed)
    rows = [p for p in problems for _ in range(k)]
    right = tasks.rewards(rows, out.completions)
    res = self_check_stats(out.completions)
    res["pass1"] = sum(r > 0 for r in right) / len(right)
    res["tokens"] = sum(out.num_tokens) / len(out.num_tokens)
    return {key: _r(v) for key, v in sorted(res.items())}


#: Training metrics kept at every step of an RL run.
TRAIN_KEYS = (
    metrics.REWARD_MEAN,
    metrics.VERIFIED,
    metrics.THINK_USAGE,
    metrics.CHECK_RATE,
    metrics.MEAN_TOKENS,
)
#: Held-out metrics kept at the two evaluations (overall = mean of the difficulties).
EVAL_KEYS = ("pass_rate/greedy", "pass_rate/sampled", "eval/think/usage")


def _eval_summary(row: dict) -> dict:
    out = {}
    for prefix in EVAL_KEYS:
        for d in LEVELS:
            out[f"{prefix}/d{d}"] = _r(row[f"{prefix}/d{d}"])
        out[prefix] = _r(_balanced(row, prefix))
    out["tokens"] = _r(_balanced(row, "eval/completion/mean_tokens"))
    return out


def rl_run(policy, problems, cfg, *, evals=None) -> dict:
    """Train ``policy`` in place; returns the training columns and both held-out evaluations."""
    from ..training.rl import train_rlvr

    t0 = time.perf_counter()
    hist = train_rlvr(policy, problems, cfg, eval_problems=evals or held_out_set(), progress=False)
    train = {k: [_r(r.get(k)) for r in hist[1:]] for k in TRAIN_KEYS}
    ev = [r for r in hist if r.get(metrics.EVAL_STEP) == r[metrics.STEP]]
    return {
        "train": train,
        "before": _eval_summary(ev[0]),
        "after": _eval_summary(ev[-1]),
        "seconds": round(time.perf_counter() - t0, 1),
    }


# ----------------------------------------------------------------------------- the four parts


def prior_run(think_frac: float, seed: int, *, steps: int | None = None) -> dict:
    """The base of ``think_frac`` and ``seed``: its profile, then the default RL run from it."""
    policy = zoo.load(prior_base(think_frac, seed))
    base = profile(policy, seed=seed)
    cfg = rl_config(seed, **({} if steps is None else {"steps": steps}))
    return {"base": base, "rl": rl_run(policy, zoo.rl_problems(), cfg)}


def control_run(reward: str, seed: int, *, steps: int | None = None) -> dict:
    """The default RL run from the zoo's seed base, rewarded by ``reward`` instead."""
    policy = zoo.load(zoo.seed_base(seed))
    cfg = rl_config(seed, reward=reward, **({} if steps is None else {"steps": steps}))
    return {"rl": rl_run(policy, zoo.rl_problems(), cfg)}


def narrow_prompts(size: int, seed: int) -> list:
    """``size`` distinct training prompts drawn (by seed) from the default RL problems."""
    pool = list({p.prompt: p for p in zoo.rl_problems()}.values())
    return random.Random(f"narrow/{seed}").sample(pool, size)


def _pool_pass(prof: dict, problems) -> dict:
    # The practised set is not balanced by difficulty: weigh each prompt once.
    n = {d: sum(p.difficulty == d for p in problems) for d in LEVELS}
    total = sum(n[d] * prof[f"pass1/d{d}"] for d in LEVELS if n[d])
    return {"pass": _r(total / len(problems)), "sizes": {f"d{d}": n[d] for d in LEVELS}}


def narrow_run(size: int, method: str, seed: int, *, steps: int | None = None) -> dict:
    """Practise ``size`` fixed prompts by RL or by SFT on their demonstrations; measure the
    practised prompts (8 samples each) and the held-out set (greedy and sampled)."""
    from ..training.rl import held_out
    from ..training.sft import fit
    from ..world import tasks

    problems = narrow_prompts(size, seed)
    policy = zoo.load(zoo.seed_base(seed))
    evals = held_out_set()
    before = _practised_pool(policy, problems, seed)
    t0 = time.perf_counter()
    cfg = rl_config(seed, **({} if steps is None else {"steps": steps}))
    if method == "rl":
        run = rl_run(policy, problems, cfg, evals=evals)
        held = run["after"]
    elif method == "sft":
        demos = [tasks.demonstration_text(p, think=True) for p in problems]
        fit(
            policy,
            [p.prompt for p in problems],
            demos,
            steps=SFT_STEPS if steps is None else steps * SFT_STEPS // cfg.steps,
            batch_size=SFT_BATCH,
            lr=SFT_LR,
            seed=seed,
        )
        held = _eval_summary(held_out(policy, evals, cfg, cfg.steps))
    else:
        raise ValueError(f"unknown method {method!r}; use one of {NARROW_METHODS}")
    return {
        "prompts": [p.prompt for p in problems],
        "practised_before": before,
        "practised": _practised_pool(policy, problems, seed),
        "held_out": held,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _practised_pool(policy, problems, seed: int) -> dict:
    prof = profile(policy, problems, k=PROFILE_K, seed=seed)
    return {**_pool_pass(prof, problems), "think": prof["think"]}


def checks_run(base: str, seed: int, *, steps: int | None = None) -> dict:
    """A (check-primed) base: its checks (counted and judged), then RL, then again."""
    policy = zoo.load(base)
    before = check_profile(policy, seed=seed)
    cfg = rl_config(seed, **({} if steps is None else {"steps": steps}))
    run = rl_run(policy, zoo.rl_problems(), cfg)
    return {"base": before, "rl": run, "after": check_profile(policy, seed=seed)}


# ----------------------------------------------------------------------------- artifacts


def items() -> list[str]:
    """The artifacts ``origins/<item>``: one per setting, each over every seed."""
    return [
        *(f"prior-t{f:g}" for f in THINK_FRACS),
        *(f"controls-{r}" for r in CONTROLS),
        *(f"narrow-{n}" for n in NARROW_SIZES),
        *(f"checks-c{c:g}" for c in CHECK_RATES),
        f"checks-{BOOK_CHECKS}",
    ]


def _split(item: str) -> tuple[str, str]:
    part, _, value = item.partition("-")
    if item not in items():
        raise KeyError(f"unknown origins item {item!r}; known: {items()}")
    return part, value


def bases(item: str) -> list[str]:
    """Zoo names of the bases ``item`` starts from, one per seed."""
    part, value = _split(item)
    if part == "prior":
        return [prior_base(float(value[1:]), s) for s in SEEDS]
    if part == "checks" and value != BOOK_CHECKS:
        return [check_base(float(value[1:]), s) for s in SEEDS]
    return [zoo.seed_base(s) for s in SEEDS]


def run_item(item: str, seed: int, *, steps: int | None = None) -> dict:
    """One seed of ``item`` (``steps`` shortens the RL run: the tests' slice)."""
    part, value = _split(item)
    if part == "prior":
        return prior_run(float(value[1:]), seed, steps=steps)
    if part == "controls":
        return control_run(value, seed, steps=steps)
    if part == "narrow":
        return {m: narrow_run(int(value), m, seed, steps=steps) for m in NARROW_METHODS}
    return checks_run(bases(item)[SEEDS.index(seed)], seed, steps=steps)


def recipe(item: str) -> dict:
    """What determines ``item``'s artifact: the bases' keys, the RL config and the settings."""
    part, _ = _split(item)
    cfg = rl_config(SEEDS[0]).recipe()
    del cfg["seed"]
    out = {
        "item": item,
        "bases": {b: zoo.key(b) for b in bases(item)},
        "rl": cfg,
        "problems": zoo.RL_PROBLEMS,
        "held_out": "experiments_seeds.held_out_set()",
        "profile_k": PROFILE_K,
        "digits": DIGITS,
        "version": 1,
    }
    if part == "narrow":
        out["sft"] = {"steps": SFT_STEPS, "batch": SFT_BATCH, "lr": SFT_LR}
    if part == "checks":
        out["check_samples"] = CHECK_SAMPLES
    return out


def path(item: str, folder: Path = DATA_DIR) -> Path:
    return folder / f"{item}.json"


def write(item: str, folder: Path = DATA_DIR) -> Path:
    """Run every seed of ``item`` and write its JSON file."""
    data = {
        "meta": {"recipe": recipe(item), "command": f"python -m reasonlab.build origins/{item}"},
        "seeds": {str(s): run_item(item, s) for s in SEEDS},
    }
    return artifacts.write_result(path(item, folder), data, sort_keys=True)


def read(item: str, folder: Path = DATA_DIR, *, check: bool = True) -> dict:
    """One shipped file; with ``check``, refuse one built from other bases or settings."""
    now = {"recipe": recipe(item)}
    return artifacts.read_result(path(item, folder), f"origins/{item}", now if check else None)


def load(folder: Path = DATA_DIR, *, check: bool = True) -> dict[str, dict]:
    """Every item's per-seed results: ``{item: {seed: result}}``."""
    return {
        it: {int(s): r for s, r in read(it, folder, check=check)["seeds"].items()} for it in items()
    }
