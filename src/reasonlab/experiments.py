"""The comparison runs of the two training notebooks: small functions that return tables.

Every function here trains or measures with the package's own machinery
(:func:`reasonlab.rl.train_rlvr`, :func:`reasonlab.evaluation.evaluate`, the zoo's base policy)
and returns plain data: a *history* (list of dicts, metric names of :mod:`reasonlab.metrics`)
per run, or a *table* (list of dicts, one row per baseline, difficulty, coefficient...). Nothing
here plots;
:mod:`reasonlab.experiment_plots` draws these tables.

What the notebooks compare:

* :func:`behaviour_by_difficulty`: how often a policy thinks and how accurate it is with and
  without thinking, per difficulty;
* :func:`star_reinforce_gradients`: STaR's loss and REINFORCE's 0/1-reward loss on one batch,
  and their gradients (equal up to one positive factor);
* :func:`compare`: several :class:`~reasonlab.rl.RLConfig` from the same start and the same seed
  (so they see the same prompts in the same order): baselines side by side, STaR vs REINFORCE
  at equal budget, dynamic sampling, a KL sweep, a cost-per-token sweep;
* :func:`gradient_variance`: how noisy each baseline's gradient estimate is, on the same samples;
* :func:`advantage_by_difficulty`: where each baseline pushes, per difficulty (why a single
  running mean hurts hard problems);
* :func:`filter_by_difficulty`: keep only prompts the policy sometimes solves;
* :func:`self_checks`: how often a policy checks a step and revises it, and whether it helps.

The runs of the notebooks' comparisons take minutes: :mod:`reasonlab.experiments_seeds`
trains every arm of :data:`COMPARISONS` over five paired seeds (the artifacts
``experiments/seeds/<arm>`` of ``python -m reasonlab.build``). The gradient-variance table is
the artifact ``experiments/gradvar`` (read by :func:`load_results`). Tests rerun a cheap slice
of each and compare it with what is shipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import torch

from . import tasks, zoo
from .evaluation import sample_and_verify, self_check_stats, summarize, thinks
from .policy import Policy
from .rl import BASELINES, RLConfig, advantages, train_rlvr
from .utils import set_seed

RESULTS_DIR = Path(__file__).resolve().parent / "data" / "experiments"
LEVELS = (1, 2, 3, 4)


def train_problems() -> list[tasks.Problem]:
    """The training problems of the zoo's RL runs (math, 1-4 digits, train split)."""
    return zoo.rl_problems()


def held_out_problems(n: int = 200, seed: int = 0) -> list[tasks.Problem]:
    """Held-out problems (test split), balanced over the four difficulties."""
    return tasks.make("math", n, difficulty=(1, 4), seed=seed, split="test")


# ----------------------------------------------------------------------------- the base policy


def behaviour_by_difficulty(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    num_samples: int = 8,
    seed: int = 0,
) -> list[dict]:
    """Thinking usage and accuracy with and without thinking, per difficulty.

    The policy samples ``num_samples`` completions per problem at temperature 1 and decides
    itself whether to think; the completions are then split by that decision. (The split is
    observational: a policy may think more on the problems it finds harder.)

    Returns:
        one row per difficulty (and a last row ``difficulty = "all"``) with ``think/usage``,
        ``pass_rate``, ``pass_rate/think``, ``pass_rate/direct``, ``tokens/think``,
        ``tokens/direct`` and the sample counts ``n/think``, ``n/direct``.
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    rows_p, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    table = []
    for d in [*sorted({p.difficulty for p in problems}), "all"]:
        idx = [i for i, p in enumerate(rows_p) if d == "all" or p.difficulty == d]
        think = [i for i in idx if thinks(out.completions[i])]
        direct = [i for i in idx if not thinks(out.completions[i])]
        table.append(
            {
                "difficulty": d,
                "think/usage": len(think) / len(idx),
                "pass_rate": _mean(rewards[i] for i in idx),
                "pass_rate/think": _mean(rewards[i] for i in think),
                "pass_rate/direct": _mean(rewards[i] for i in direct),
                "tokens/think": _mean(out.num_tokens[i] for i in think),
                "tokens/direct": _mean(out.num_tokens[i] for i in direct),
                "n/think": len(think),
                "n/direct": len(direct),
            }
        )
    return table


def _mean(xs) -> float:
    xs = [float(x) for x in xs]
    return sum(xs) / len(xs) if xs else float("nan")


# ----------------------------------------------------------------------------- STaR = REINFORCE


def flat_grad(policy: Policy, loss: torch.Tensor) -> torch.Tensor:
    """The gradient of ``loss`` with respect to every policy parameter, flattened: (P,).

    The graph is kept, so several losses built on the same forward pass can be differentiated
    one after the other.
    """
    params = [p for p in policy.model.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params, allow_unused=True, retain_graph=True)
    return torch.cat(
        [
            (g if g is not None else torch.zeros_like(p)).reshape(-1)
            for g, p in zip(grads, params, strict=True)
        ]
    )


def star_reinforce_gradients(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    num_samples: int = 8,
    seed: int = 0,
) -> dict:
    """STaR's loss and REINFORCE's (0/1 reward, no baseline) on one sampled batch.

    * STaR: cross-entropy on the verified successes, ``-sum_{r=1} logprob / n_success``;
    * REINFORCE: ``-sum_i r_i * logprob_i / n``, every sample, reward 0 or 1.

    The failed samples have weight 0 in both, so the two gradients differ only by the positive
    factor ``n / n_success``.

    Returns:
        dict with ``rewards`` (n,), ``grad_star`` and ``grad_reinforce`` (P,), ``n``,
        ``n_success`` and ``scale = n / n_success``.
    """
    rows, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    r = torch.tensor(rewards)  # (n,)
    n_success = int(r.sum())
    if n_success == 0:
        raise ValueError("no verified success in this batch: STaR has nothing to train on")
    prompts = [p.prompt for p in rows]
    lp = policy.logprobs(prompts, out.token_ids)["logprobs"]  # (n,) summed over tokens
    ok = r > 0
    star_loss = -lp[ok].sum() / n_success
    reinforce_loss = -(r * lp).sum() / len(r)
    return {
        "rewards": r,
        "grad_star": flat_grad(policy, star_loss),
        "grad_reinforce": flat_grad(policy, reinforce_loss),
        "n": len(r),
        "n_success": n_success,
        "scale": len(r) / n_success,
    }


# ----------------------------------------------------------------------------- training runs


def compare(
    configs: Mapping[str, RLConfig],
    *,
    start: str = "base",
    problems: Sequence[tasks.Problem] | Mapping[str, Sequence[tasks.Problem]] | None = None,
    eval_problems: Sequence[tasks.Problem] | None = None,
    progress: bool = False,
) -> dict[str, list[dict]]:
    """Train a fresh copy of ``start`` with each config; same held-out set for all.

    Args:
        configs: ``{label: RLConfig}``; give them the same ``seed`` for a paired comparison
            (same prompt order, same sampler seeds at every step).
        start: the zoo name every run starts from.
        problems: training problems (default :func:`train_problems`), or one list per label.
        eval_problems: held-out problems (default :func:`held_out_problems` of the first
            config's ``eval_size``).
        progress: show tqdm bars.

    Returns:
        ``{label: history}`` in the order of ``configs``.
    """
    if not configs:
        raise ValueError("compare needs at least one config")
    first = next(iter(configs.values()))
    if eval_problems is None:
        eval_problems = held_out_problems(first.eval_size, seed=first.seed)
    default = train_problems() if problems is None or isinstance(problems, Mapping) else problems
    runs = {}
    for label, cfg in configs.items():
        probs = problems.get(label, default) if isinstance(problems, Mapping) else default
        policy = zoo.load(start)
        runs[label] = train_rlvr(policy, probs, cfg, eval_problems=eval_problems, progress=progress)
    return runs


def filter_by_difficulty(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    num_samples: int = 8,
    low: float = 0.0,
    high: float = 1.0,
    seed: int = 0,
) -> tuple[list[tasks.Problem], dict]:
    """Keep the problems whose sampled pass rate lies strictly between ``low`` and ``high``.

    With the defaults this drops the prompts the policy always solves or never solves: their
    groups would have identical rewards and give no gradient under a group baseline.

    Returns:
        (kept problems, summary) where the summary has ``kept``, ``total``, ``always``,
        ``never`` and ``kept/d<k>`` (share kept per difficulty).
    """
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}")
    _, _, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    rate = torch.tensor(rewards).view(len(problems), num_samples).mean(1)
    keep = (rate > low) & (rate < high)
    kept = [p for p, k in zip(problems, keep.tolist(), strict=True) if k]
    summary = {
        "kept": len(kept),
        "total": len(problems),
        "always": int((rate == 1).sum()),
        "never": int((rate == 0).sum()),
    }
    for d in sorted({p.difficulty for p in problems}):
        idx = [i for i, p in enumerate(problems) if p.difficulty == d]
        summary[f"kept/d{d}"] = sum(bool(keep[i]) for i in idx) / len(idx)
    return kept, summary


def final_table(
    runs: Mapping[str, Sequence[Mapping]], keys: Sequence[str], *, label: str = "run"
) -> list[dict]:
    """The last row of each history, restricted to ``keys``: one table row per run."""
    table = []
    for name, hist in runs.items():
        last = hist[-1]
        missing = [k for k in keys if k not in last]
        if missing:
            raise KeyError(f"run {name!r} has no {missing}; keys: {sorted(last)}")
        table.append({label: name, **{k: last[k] for k in keys}})
    return table


def format_table(rows: Sequence[Mapping], columns: Sequence[str], *, digits: int = 3) -> str:
    """A fixed-width text table (floats rounded to ``digits``): :func:`reasonlab.tables.text`.

    Notebooks show tables with :func:`reasonlab.tables.show` (HTML); this is the console form.
    """
    from .tables import text

    return text(rows, columns, digits=digits)


# ----------------------------------------------------------------------------- gradient noise


def _batch(policy, problems, rng, prompts_per_step, num_samples, seed):
    batch = [problems[rng.randrange(len(problems))] for _ in range(prompts_per_step)]
    rows, out, rewards = sample_and_verify(policy, batch, num_samples=num_samples, seed=seed)
    return batch, rows, out, torch.tensor(rewards).view(prompts_per_step, num_samples)


def _values(policy, batch, num_samples, seed) -> torch.Tensor:
    """Monte Carlo value of each prompt: its pass rate over independent samples (N,)."""
    _, _, rewards = sample_and_verify(policy, batch, num_samples=num_samples, seed=seed)
    return torch.tensor(rewards).view(len(batch), -1).mean(1)


def gradient_variance(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    baselines: Sequence[str] = BASELINES,
    num_batches: int = 16,
    prompts_per_step: int = 32,
    num_samples: int = 8,
    value_samples: int = 16,
    seed: int = 0,
) -> list[dict]:
    """How noisy is each baseline's gradient estimate? Measured on the *same* samples.

    For each of ``num_batches`` batches (``prompts_per_step`` prompts times ``num_samples``
    samples) the loss ``-(advantage * logprob).sum() / n`` is differentiated once per baseline.
    The policy does not change, so the batches are independent draws of the same estimator.
    Stand-ins for the baselines that learn over a run: ``ema`` uses the policy's mean reward
    measured on one extra batch (what a running mean settles to), ``critic`` uses a Monte Carlo
    value per prompt from ``value_samples`` fresh samples (what a well-trained critic predicts,
    VinePPO-style).

    Returns:
        one row per baseline: ``baseline``, ``var/total`` (sum over parameters of the variance
        across batches, i.e. the mean squared distance of an estimate from their average),
        ``mean_norm`` (norm of the average gradient), ``snr`` (``mean_norm**2 / var/total``,
        scale-free, so GRPO's rescaled gradient compares fairly), ``cos_to_mean`` (average
        cosine between one batch's gradient and the average of the others), ``frac_zero_adv``
        (share of samples whose advantage is exactly 0).
    """
    import random

    if num_batches < 2:
        raise ValueError(f"num_batches must be >= 2 to measure a variance, got {num_batches}")
    for b in baselines:
        if b not in BASELINES:
            raise ValueError(f"unknown baseline {b!r}; choose one of {BASELINES}")
    set_seed(seed)
    rng = random.Random(f"gradvar/{seed}")
    _, _, _, r0 = _batch(policy, problems, rng, prompts_per_step, num_samples, seed + 999_983)
    ema = float(r0.mean())
    grads: dict[str, list[torch.Tensor]] = {b: [] for b in baselines}
    zero: dict[str, list[float]] = {b: [] for b in baselines}
    for k in range(num_batches):
        batch, rows, out, r = _batch(policy, problems, rng, prompts_per_step, num_samples, seed + k)
        values = _values(policy, batch, value_samples, seed + 500_009 + k)
        lp = policy.logprobs([p.prompt for p in rows], out.token_ids)["logprobs"]  # (n,)
        for b in baselines:
            adv = advantages(r, b, ema=ema, values=values).reshape(-1)  # (n,)
            grads[b].append(flat_grad(policy, -(adv * lp).sum() / len(lp)))
            zero[b].append(float((adv == 0).float().mean()))
    table = []
    for b in baselines:
        g = torch.stack(grads[b]).double()  # (K, P)
        mean = g.mean(0)
        var_total = float(g.var(0, unbiased=True).sum())
        # Leave-one-out mean so that a batch is not compared with itself.
        others = (g.sum(0, keepdim=True) - g) / (len(g) - 1)
        cos = torch.nn.functional.cosine_similarity(g, others, dim=1)
        table.append(
            {
                "baseline": b,
                "var/total": var_total,
                "mean_norm": float(mean.norm()),
                "snr": float(mean.norm() ** 2) / var_total if var_total > 0 else float("inf"),
                "cos_to_mean": float(cos.mean()),
                "frac_zero_adv": _mean(zero[b]),
            }
        )
    return table


def advantage_by_difficulty(
    policy: Policy,
    problems: Sequence[tasks.Problem],
    *,
    baselines: Sequence[str] = ("ema", "group"),
    num_samples: int = 8,
    seed: int = 0,
) -> list[dict]:
    """Where each baseline pushes, per difficulty, on one batch of ``problems``.

    The running mean (``ema``) is one number for every prompt: set to the batch's mean reward,
    which is what it tracks. A hard prompt's samples then mostly get a negative advantage, so
    the update mostly pushes *down* whatever the policy did on hard prompts, thinking included.
    A group baseline centres each prompt on its own mean.

    Returns:
        one row per (baseline, difficulty): ``pass_rate``, ``adv/mean`` (net push per sample),
        ``adv/think`` and ``adv/direct`` (mean advantage of thinking and of direct samples),
        ``frac_negative`` (share of samples pushed down).
    """
    rows, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
    r = torch.tensor(rewards).view(len(problems), num_samples)
    thinking = [thinks(c) for c in out.completions]
    table = []
    for b in baselines:
        if b == "critic":
            raise ValueError("advantage_by_difficulty compares baselines without a learned part")
        adv = advantages(r, b, ema=float(r.mean())).reshape(-1)
        flat_r = r.reshape(-1)
        for d in sorted({p.difficulty for p in problems}):
            idx = [i for i, p in enumerate(rows) if p.difficulty == d]
            table.append(
                {
                    "baseline": b,
                    "difficulty": d,
                    "pass_rate": _mean(flat_r[i] for i in idx),
                    "adv/mean": _mean(adv[i] for i in idx),
                    "adv/think": _mean(adv[i] for i in idx if thinking[i]),
                    "adv/direct": _mean(adv[i] for i in idx if not thinking[i]),
                    "frac_negative": _mean(adv[i] < 0 for i in idx),
                }
            )
    return table


# ----------------------------------------------------------------------------- self-checks


def self_checks(
    policies: Mapping[str, Policy],
    problems: Sequence[tasks.Problem],
    *,
    num_samples: int = 4,
    seed: int = 0,
) -> list[dict]:
    """Self-checks and revisions of each policy's sampled completions, and their accuracy.

    Returns:
        one row per policy: the counts of :func:`reasonlab.evaluation.self_check_stats`, plus
        ``think/usage``, ``pass_rate``, ``pass_rate/with_wait`` and ``pass_rate/without_wait``
        (accuracy of thinking completions that did or did not revise a step).
    """
    from .tokenizer import WAIT

    table = []
    for name, policy in policies.items():
        rows, out, rewards = sample_and_verify(policy, problems, num_samples=num_samples, seed=seed)
        m = summarize(rows, out.completions, rewards, out.num_tokens, num_samples=num_samples)
        stats = self_check_stats(out.completions)
        think = [i for i, c in enumerate(out.completions) if thinks(c)]
        table.append(
            {
                "policy": name,
                "think/usage": m["think/usage"],
                "pass_rate": m["pass_rate"],
                **stats,
                "pass_rate/with_wait": _mean(
                    rewards[i] for i in think if WAIT in out.completions[i]
                ),
                "pass_rate/without_wait": _mean(
                    rewards[i] for i in think if WAIT not in out.completions[i]
                ),
            }
        )
    return table


# ----------------------------------------------------------------------------- shipped results

#: The arms of the comparisons: the zoo's default RL config (the ``"rlvr"`` run, arm
#: ``"group"``) with one change each. :mod:`reasonlab.experiments_seeds` trains each of them
#: over five paired seeds (the artifacts ``experiments/seeds/<arm>``); ``"difficulty-filtered"``
#: trains on the prompts :func:`filter_by_difficulty` keeps.
RUNS: dict[str, dict] = {
    "none": {"baseline": "none"},
    "ema": {"baseline": "ema"},
    "group_std": {"baseline": "group_std"},
    "critic": {"baseline": "critic"},
    "star": {"objective": "star"},
    "filter_zero_std": {"filter_zero_std": True},
    "difficulty-filtered": {},
    "kl=0.1": {"kl_coef": 0.1},
    "kl=0.3": {"kl_coef": 0.3},
    "cost=0.005": {"cost_per_token": 0.005},
    "cost=0.01": {"cost_per_token": 0.01},
    "cost=0.02": {"cost_per_token": 0.02},
}
#: Tables ``build`` ships (artifacts ``experiments/<table>``), measured at the chapter's base.
TABLES = ("gradvar",)

#: How the notebooks group the arms: ``{comparison: {label: arm}}``; ``"group"`` is the zoo's
#: default config.
COMPARISONS = {
    "baselines": {
        "none": "none",
        "ema": "ema",
        "group": "group",
        "group_std": "group_std",
        "critic": "critic",
    },
    "star": {"STaR": "star", "REINFORCE, no baseline": "none", "REINFORCE, group": "group"},
    "dynamic": {
        "all groups": "group",
        "drop zero-std groups": "filter_zero_std",
        "difficulty-filtered prompts": "difficulty-filtered",
    },
    "kl": {"kl_coef=0": "group", "kl_coef=0.1": "kl=0.1", "kl_coef=0.3": "kl=0.3"},
    "cost": {
        "cost_per_token=0": "group",
        "cost_per_token=0.005": "cost=0.005",
        "cost_per_token=0.01": "cost=0.01",
        "cost_per_token=0.02": "cost=0.02",
    },
}


def run_config(name: str) -> RLConfig:
    """The RL config of arm ``name`` (the zoo's default with one change), seed 0."""
    if name not in RUNS:
        raise KeyError(f"unknown run {name!r}; known: {sorted(RUNS)}")
    return replace(zoo.default_rl_config(), **RUNS[name])


def build_item(name: str) -> dict:
    """Compute one shipped table (see :data:`TABLES`): ``{"meta": ..., "table": [...]}``."""
    if name not in TABLES:
        raise ValueError(f"unknown item {name!r}; choose from {list(TABLES)}")
    config = zoo.default_rl_config()
    set_seed(config.seed)
    meta = {
        "name": name,
        "base_key": zoo.key("base"),
        "rlvr_key": zoo.key("rlvr"),
        "command": f"python -m reasonlab.build experiments/{name}",
    }
    base = zoo.load("base")
    return {"meta": meta, "table": gradient_variance(base, train_problems(), seed=config.seed)}


def results_path(name: str, folder: Path = RESULTS_DIR) -> Path:
    return folder / f"{name}.json"


def _read_item(name: str, folder: Path, check: bool) -> dict:
    path = results_path(name, folder)
    if not path.exists():
        raise FileNotFoundError(
            f"no shipped result at {path}; run `python -m reasonlab.build experiments/{name}`"
        )
    data = json.loads(path.read_text())
    meta = data["meta"]
    if check and (meta["base_key"], meta["rlvr_key"]) != (zoo.key("base"), zoo.key("rlvr")):
        raise ValueError(
            f"{path.name} was built from other zoo checkpoints than the current ones: "
            f"rebuild with `{meta['command']}`"
        )
    return data


def load_results(folder: Path = RESULTS_DIR, *, check: bool = True) -> dict:
    """The shipped tables and the zoo's default RL config.

    The comparison runs over seeds are :func:`reasonlab.experiments_seeds.load`.

    Args:
        folder: where ``build`` wrote its JSON files.
        check: raise if a file was built from other zoo checkpoints than the current ones
            (stale results must be rebuilt, not shown).

    Returns:
        ``{"tables": {"gradient_variance": rows per baseline}, "config": dict}``.
    """
    items = {n: _read_item(n, folder, check) for n in TABLES}
    tables = {"gradient_variance": items["gradvar"]["table"]}
    return {"tables": tables, "config": zoo.default_rl_config().recipe()}


def _json_safe(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


def write_item(name: str, folder: Path = RESULTS_DIR) -> Path:
    """Compute one shipped run or table (:func:`build_item`) and write its JSON file."""
    data = build_item(name)
    path = results_path(name, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_json_safe(data), separators=(",", ":")) + "\n")
    return path


if __name__ == "__main__":  # the old command: one stage of the one build command
    import sys

    from reasonlab.build import stage_main

    sys.exit(stage_main("experiments", sys.argv[1:]))
