"""The shipped results of the credit-assignment notebook (12): five paired seeds per method.

Three parts, each an artifact of the ``credit`` stage of ``python -m reasonlab.build``:

* ``credit/<method>`` (:data:`METHODS`): each method trained from ``zoo.seed_base(s)`` for
  ``s`` in :data:`SEEDS`, the same RL seed, prompts and held-out set
  (:func:`reasonlab.shipped.experiments_seeds.held_out_set`) for every method, so two methods of one
  seed are a pair. Every :data:`EVAL_EVERY` updates: the held-out pass rates (greedy and one
  sample) and a :func:`probe` of one sample per held-out problem (lengths of right and wrong
  answers, of thinking and direct ones, and every proxy reward). Every update: the tokens it
  generated (rollouts plus VinePPO's value rollouts) and its training time.
* ``credit/microscope``: per seed, the credit microscope
  (:func:`reasonlab.shipped.credit_microscope.step_table`) on :data:`MICROSCOPE` problems sampled
  from the seed's base, true values from ``k_true`` rollouts per prefix, and PPO's value model after
  0, 10 and 40 steps of regression on the base's own verdicts (:data:`CRITIC_STEPS`).
* ``credit/hacking-<proxy>`` (:data:`PROXIES`): GRPO trained on a proxy reward
  (:mod:`reasonlab.training.rewards`), with and without a KL brake (:data:`BRAKES`), judged by
  the strict verifier at every evaluation; the last probe's completions that the proxy pays
  and the verifier rejects are kept as examples of the exploit.

Floats are rounded to :data:`DIGITS` decimals. Times (``wall_s``, ``cpu_s``) are measured and
differ from build to build; everything else is deterministic on one machine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from ..core import artifacts, metrics
from ..core.artifacts import DATA_DIR
from ..measurement.evaluation import thinks
from ..training import rewards as training_rewards
from ..training.rl import RLConfig, train_rlvr
from ..world import tasks
from . import credit_microscope as cm
from . import experiments_seeds as xs
from . import zoo
from .experiments import train_problems

RESULTS_DIR = DATA_DIR / "credit"
SEEDS = xs.SEEDS
DIGITS = 4
STEPS = 40
EVAL_EVERY = 5
#: What every run shares: PPO-style reuse of each batch (two clipped epochs), a KL term.
COMMON = dict(
    steps=STEPS,
    prompts_per_step=16,
    num_samples=8,
    lr=3e-4,
    clip=0.2,
    ppo_epochs=2,
    kl_coef=0.04,
    eval_every=EVAL_EVERY,
)
#: Each method's change to :data:`COMMON`.
METHODS: dict[str, dict] = {
    # the chapter's REINFORCE with the leave-one-out group baseline (one advantage a sequence)
    "reinforce": dict(baseline="group"),
    # DeepSeekMath's GRPO: z-scored group reward, k3 KL in the loss, 1/|o| per sequence
    "grpo": dict(algorithm="grpo", loss_agg="seq-mean"),
    # the same advantages, token losses averaged over the batch's tokens
    "grpo_token_mean": dict(algorithm="grpo", loss_agg="token-mean"),
    # Dr. GRPO: mean-centred only, summed tokens over a fixed budget
    "dr_grpo": dict(algorithm="grpo", loss_agg="dr-grpo"),
    # Tulu 3's PPO: per-token value model, GAE (gamma 1, lambda 0.95), KL as a per-token reward
    "ppo_gae": dict(algorithm="ppo_gae", loss_agg="token-mean", kl_in="reward", lam=0.95),
    # VinePPO: 4 rollouts per step boundary, no value model
    "vineppo": dict(algorithm="vineppo", loss_agg="token-mean", vine_k=4),
}
#: The three the issue compares head to head; the others are variants of GRPO's loss.
MAIN = ("grpo", "ppo_gae", "vineppo")
#: Normalisation variants for the length-bias comparison (label: method).
LENGTH_ARMS = {
    "sequence mean (GRPO)": "grpo",
    "token mean": "grpo_token_mean",
    "none (Dr. GRPO)": "dr_grpo",
}
#: Rewards the probe scores every held-out sample with (the proxies; the controls are left out).
PROBE_REWARDS = ("verifier", "substring", "last_number", "format")
PROXIES = ("substring", "last_number", "format")
#: KL coefficients of the hacking runs: none, and a brake.
BRAKES = {"no KL": 0.0, "KL 0.2": 0.2}
#: The hacking runs compare a brake with none: paired over the same five seeds as the methods.
HACK_SEEDS = SEEDS
HACK_STEPS = 40
#: The microscope: problems per seed (math, 2-4 digits, test split), samples each, rollouts.
MICROSCOPE = dict(problems=16, num_samples=4, k_true=64, vine_k=4, difficulty=(2, 4))
CRITIC_STEPS = (0, 10, 40)
#: Completions of an exploit kept per run.
EXAMPLES = 6


def method_config(method: str, seed: int, **change) -> RLConfig:
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; known: {sorted(METHODS)}")
    return RLConfig(**{**COMMON, **METHODS[method], "seed": seed, **change})


def hack_config(proxy: str, kl_coef: float, seed: int, **change) -> RLConfig:
    return method_config(
        "grpo", seed, **{"reward": proxy, "kl_coef": kl_coef, "steps": HACK_STEPS, **change}
    )


def _r(v):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return round(float(v), DIGITS)


# ----------------------------------------------------------------------------- probe


def _mean(xs_: Sequence[float]) -> float | None:
    return sum(xs_) / len(xs_) if xs_ else None


def probe(policy, problems: Sequence[tasks.Problem], seed: int, *, keep: int = 0) -> dict:
    """One sample per problem: pass rate, thinking share, mean lengths of right and wrong,
    thinking and direct completions, and the mean of every reward of :data:`PROBE_REWARDS`.

    With ``keep``, also up to ``keep`` examples per proxy of completions it pays and the
    verifier rejects (``exploits``) and how many there were (``exploit_rate``).
    """
    out = policy.sample([p.prompt for p in problems], num_samples=1, seed=seed)
    comps, n = out.completions, out.num_tokens
    correct = torch.tensor([float(r.reward) for r in tasks.verify_batch(problems, comps)])
    ok = correct.tolist()
    think = [thinks(c) for c in comps]
    row = {
        "pass": float(correct.mean()),
        "think": sum(think) / len(comps),
        "len": sum(n) / len(n),
        "len_right": _mean([t for t, c in zip(n, ok, strict=True) if c > 0]),
        "len_wrong": _mean([t for t, c in zip(n, ok, strict=True) if c <= 0]),
        "len_think": _mean([t for t, k in zip(n, think, strict=True) if k]),
        "len_direct": _mean([t for t, k in zip(n, think, strict=True) if not k]),
    }
    for name in PROBE_REWARDS:
        score = training_rewards.reward(name, problems, comps, correct, seed)
        row[f"reward/{name}"] = float(score.mean())
        if keep and name != "verifier":
            bad = [i for i in range(len(comps)) if score[i] > 0 and ok[i] <= 0]
            row[f"exploit_rate/{name}"] = len(bad) / len(comps)
            row[f"exploits/{name}"] = [
                {"prompt": problems[i].prompt, "completion": comps[i], "answer": problems[i].answer}
                for i in bad[:keep]
            ]
    return {k: (_r(v) if not isinstance(v, list) else v) for k, v in row.items()}


# ----------------------------------------------------------------------------- runs


def run(cfg: RLConfig, base: str, *, keep: int = 0, progress: bool = False) -> dict:
    """Train ``cfg`` from zoo checkpoint ``base``, probing at every evaluation.

    Returns ``{"eval": compact held-out columns, "train": per-update columns, "probe": {step:
    probe}, "cpu_s": the run's process time}``.
    """
    policy = zoo.load(base)
    held = xs.held_out_set()
    probes: dict[str, dict] = {}
    clock = {"cpu": [], "t0": time.process_time()}

    def callback(row: dict) -> None:
        clock["cpu"].append(time.process_time() - clock["t0"])
        if row.get(metrics.EVAL_STEP) == row[metrics.STEP]:
            last = row[metrics.STEP] == cfg.steps
            probes[str(row[metrics.STEP])] = probe(
                policy, held, cfg.seed * 7919 + row[metrics.STEP], keep=keep if last else 0
            )

    hist = train_rlvr(
        policy, train_problems(), cfg, callback, eval_problems=held, progress=progress
    )
    per_step = cfg.prompts_per_step * cfg.num_samples
    gen = [0] + [
        round(r[metrics.MEAN_TOKENS] * per_step) + int(r.get(metrics.EXTRA_TOKENS, 0))
        for r in hist[1:]
    ]
    train = {
        "step": [r[metrics.STEP] for r in hist],
        "generated_tokens": gen,
        "extra_tokens": [int(r.get(metrics.EXTRA_TOKENS, 0)) for r in hist],
        "wall_s": [_r(r[metrics.WALL_S]) for r in hist],
        "cpu_s": [_r(c) for c in clock["cpu"]],
    }
    for k in (
        metrics.REWARD_MEAN,
        metrics.VERIFIED,
        metrics.MEAN_TOKENS,
        metrics.THINK_USAGE,
        metrics.KL,
    ):
        train[k] = [_r(r.get(k)) for r in hist]
    return {
        "eval": xs.compact(hist)["eval"],
        "train": train,
        "probe": probes,
        "cpu_s": _r(time.process_time() - clock["t0"]),
    }


def method_run(method: str, seed: int, *, steps: int | None = None) -> dict:
    change = {} if steps is None else {"steps": steps}
    return run(method_config(method, seed, **change), zoo.seed_base(seed))


def hack_run(proxy: str, brake: str, seed: int, *, steps: int | None = None) -> dict:
    change = {} if steps is None else {"steps": steps}
    cfg = hack_config(proxy, BRAKES[brake], seed, **change)
    return run(cfg, zoo.seed_base(seed), keep=EXAMPLES)


# ----------------------------------------------------------------------------- microscope


def microscope_problems(seed: int) -> list[tasks.Problem]:
    m = MICROSCOPE
    return tasks.make("math", m["problems"], difficulty=m["difficulty"], seed=seed, split="test")


def microscope(seed: int, *, critic_steps: Sequence[int] = CRITIC_STEPS) -> dict:
    """The microscope of seed ``seed``'s base: its step table (the PPO columns after each of
    ``critic_steps`` value-model steps, ``ppo_gae@<steps>``) and the summary of every column."""
    m = MICROSCOPE
    policy = zoo.load(zoo.seed_base(seed))
    probs = microscope_problems(seed)
    table, cost = cm.step_table(
        policy,
        probs,
        num_samples=m["num_samples"],
        k_true=m["k_true"],
        vine_k=m["vine_k"],
        seed=seed,
    )
    lam = METHODS["ppo_gae"]["lam"]
    critic_problems = train_problems()
    for steps, value in cm.warm_value_models(policy, critic_problems, critic_steps, seed=seed):
        cm.add_ppo_column(table, policy, value, f"ppo_gae@{steps}", lam=lam)
        cost[f"ppo_gae@{steps}"] = 0
    methods = [
        "true",
        "grpo",
        "dr_grpo",
        "reinforce",
        "vineppo",
        *(f"ppo_gae@{s}" for s in critic_steps),
    ]
    for row in table:
        for k in methods:
            row[k] = [_r(v) for v in row[k]]
    return {"table": table, "cost": cost, "summary": cm.summary(table, cost, methods)}


# ----------------------------------------------------------------------------- artifacts


def parts() -> list[str]:
    """The artifacts of the stage, in build order (after ``credit/``)."""
    return [*METHODS, "microscope", *(f"hacking-{p}" for p in PROXIES)]


def path(part: str, folder: Path = RESULTS_DIR) -> Path:
    return folder / f"{part}.json"


def recipe(part: str) -> dict:
    """What determines ``part``'s artifact (hashed by the build with the seed bases' keys)."""
    out: dict = {
        "part": part,
        "seeds": list(SEEDS),
        "digits": DIGITS,
        "held_out": dict(map(lambda kv: (str(kv[0]), kv[1]), xs.HELD_OUT.items())),
    }
    if part in METHODS:
        cfg = method_config(part, SEEDS[0]).recipe()
        out.update(config={k: v for k, v in cfg.items() if k != "seed"}, probe=list(PROBE_REWARDS))
    elif part == "microscope":
        out.update(
            microscope=MICROSCOPE, critic_steps=list(CRITIC_STEPS), lam=METHODS["ppo_gae"]["lam"]
        )
    else:
        proxy = part.removeprefix("hacking-")
        cfg = hack_config(proxy, 0.0, SEEDS[0]).recipe()
        out.update(
            config={k: v for k, v in cfg.items() if k not in ("seed", "kl_coef")},
            brakes=BRAKES,
            seeds=list(HACK_SEEDS),
            examples=EXAMPLES,
            probe=list(PROBE_REWARDS),
        )
    return out


def build(part: str) -> dict:
    meta = {
        "part": part,
        "recipe": recipe(part),
        "base_keys": {str(s): zoo.key(zoo.seed_base(s)) for s in SEEDS},
        "command": f"python -m reasonlab.build credit/{part}",
    }
    if part in METHODS:
        data = {str(s): method_run(part, s) for s in SEEDS}
    elif part == "microscope":
        data = {str(s): microscope(s) for s in SEEDS}
    else:
        proxy = part.removeprefix("hacking-")
        data = {b: {str(s): hack_run(proxy, b, s) for s in HACK_SEEDS} for b in BRAKES}
    return {"meta": meta, "seeds": data}


def write(part: str, folder: Path = RESULTS_DIR) -> Path:
    return artifacts.write_result(path(part, folder), build(part))


def read(part: str, folder: Path = RESULTS_DIR, *, check: bool = True) -> dict:
    """One shipped file; with ``check``, refuse one built from other bases or settings."""
    now = {"recipe": recipe(part), "base_keys": {str(s): zoo.key(zoo.seed_base(s)) for s in SEEDS}}
    return artifacts.read_result(path(part, folder), f"credit/{part}", now if check else None)


# ----------------------------------------------------------------------------- histories


def history(r: Mapping) -> list[dict]:
    """One run as history rows (:func:`reasonlab.shipped.experiments_seeds.expand`), with the
    cumulative ``generated_tokens``, ``wall_s`` and ``cpu_s`` at every step and the probe's
    values (``probe/<key>``) at every evaluated step (carried forward between)."""
    rows = xs.expand({"train": {"step": r["train"]["step"]}, "eval": r["eval"]})
    tr, tokens, last = r["train"], 0, {}
    for i, row in enumerate(rows):
        tokens += tr["generated_tokens"][i]
        row["generated_tokens"] = tokens
        for k in (
            "wall_s",
            "cpu_s",
            metrics.REWARD_MEAN,
            metrics.VERIFIED,
            metrics.MEAN_TOKENS,
            metrics.THINK_USAGE,
        ):
            if tr[k][i] is not None:
                row[k] = tr[k][i]
        step = str(row[metrics.STEP])
        if step in r["probe"]:
            last = {
                f"probe/{k}": v
                for k, v in r["probe"][step].items()
                if v is not None and not isinstance(v, list)
            }
        row.update(last)
    return rows


def load_methods(methods: Sequence[str] = tuple(METHODS), *, check: bool = True) -> dict:
    """``{method: {seed: history}}`` of the shipped runs."""
    out = {}
    for m in methods:
        data = read(m, check=check)
        out[m] = {int(s): history(r) for s, r in data["seeds"].items()}
    return out


def load_hacking(proxies: Sequence[str] = PROXIES, *, check: bool = True) -> dict:
    """``{proxy: {brake: {seed: history}}}`` and the exploits of each last probe:
    ``(runs, examples)`` with ``examples[proxy][brake][seed]`` a list of dicts."""
    runs, examples = {}, {}
    for p in proxies:
        data = read(f"hacking-{p}", check=check)["seeds"]
        runs[p] = {b: {int(s): history(r) for s, r in d.items()} for b, d in data.items()}
        examples[p] = {
            b: {int(s): r["probe"][str(max(map(int, r["probe"])))] for s, r in d.items()}
            for b, d in data.items()
        }
    return runs, examples


def load_microscope(*, check: bool = True) -> dict:
    return {int(s): v for s, v in read("microscope", check=check)["seeds"].items()}
