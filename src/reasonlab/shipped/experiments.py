"""The comparison runs of the two training notebooks: small functions that return tables.

Every function here trains or measures with the package's own machinery
(:func:`reasonlab.training.rl.train_rlvr`, :func:`reasonlab.measurement.evaluation.evaluate`,
the zoo's base policy) and returns plain data: a *history* (list of dicts, metric names of
:mod:`reasonlab.core.metrics`) per run, or a *table* (list of dicts, one row per baseline,
difficulty, coefficient...). Nothing here plots; :mod:`reasonlab.plots.experiments` draws these
tables.

What the notebooks compare:

* :func:`behaviour_by_difficulty`: how often a policy thinks and how accurate it is with and
  without thinking, per difficulty;
* :func:`compare`: several :class:`~reasonlab.training.rl.RLConfig` from the same start and the
  same seed (so they see the same prompts in the same order): baselines side by side, STaR vs
  REINFORCE at equal budget, dynamic sampling, a KL sweep, a cost-per-token sweep;
* :func:`filter_by_difficulty`: keep only prompts the policy sometimes solves;
* :func:`self_checks`: how often a policy checks a step and revises it, and whether it helps.

The gradient studies (STaR's gradient is REINFORCE's, how noisy each baseline's gradient is,
where each baseline pushes by difficulty) are :mod:`reasonlab.shipped.gradients`.

The runs of the notebooks' comparisons take minutes: :mod:`reasonlab.shipped.experiments_seeds`
trains every arm of :data:`COMPARISONS` over five paired seeds (the artifacts
``experiments/seeds/<arm>`` of ``python -m reasonlab.build``). The gradient-variance table is
the artifact ``experiments/gradvar`` (read by :func:`load_results`). Tests rerun a cheap slice
of each and compare it with what is shipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import torch

from ..core import artifacts
from ..core.stats import mean
from ..core.utils import set_seed
from ..measurement.evaluation import sample_and_verify, self_check_stats, summarize, thinks
from ..training.rl import RLConfig, train_rlvr
from ..world import tasks
from ..world.policy import Policy
from . import zoo
from .gradients import gradient_variance

RESULTS_DIR = artifacts.DATA_DIR / "experiments"
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
                "pass_rate": mean(rewards[i] for i in idx),
                "pass_rate/think": mean(rewards[i] for i in think),
                "pass_rate/direct": mean(rewards[i] for i in direct),
                "tokens/think": mean(out.num_tokens[i] for i in think),
                "tokens/direct": mean(out.num_tokens[i] for i in direct),
                "n/think": len(think),
                "n/direct": len(direct),
            }
        )
    return table


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
    """A fixed-width text table (floats rounded to ``digits``): :func:`reasonlab.core.tables.text`.

    Notebooks show tables with :func:`reasonlab.core.tables.show` (HTML); this is the console form.
    """
    from ..core.tables import text

    return text(rows, columns, digits=digits)


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
        one row per policy: the counts of
        :func:`reasonlab.measurement.evaluation.self_check_stats`, plus
        ``think/usage``, ``pass_rate``, ``pass_rate/with_wait`` and ``pass_rate/without_wait``
        (accuracy of thinking completions that did or did not revise a step).
    """
    from ..world.tokenizer import WAIT

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
                "pass_rate/with_wait": mean(
                    rewards[i] for i in think if WAIT in out.completions[i]
                ),
                "pass_rate/without_wait": mean(
                    rewards[i] for i in think if WAIT not in out.completions[i]
                ),
            }
        )
    return table


# ----------------------------------------------------------------------------- shipped results

#: The arms of the comparisons: the zoo's default RL config (the ``"rlvr"`` run, arm
#: ``"group"``) with one change each. :mod:`reasonlab.shipped.experiments_seeds` trains each of them
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
    now = {"base_key": zoo.key("base"), "rlvr_key": zoo.key("rlvr")}
    return artifacts.read_result(
        results_path(name, folder), f"experiments/{name}", now if check else None
    )


def load_results(folder: Path = RESULTS_DIR, *, check: bool = True) -> dict:
    """The shipped tables and the zoo's default RL config.

    The comparison runs over seeds are :func:`reasonlab.shipped.experiments_seeds.load`.

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
    return artifacts.write_result(results_path(name, folder), _json_safe(build_item(name)))


if __name__ == "__main__":  # the old command: one stage of the one build command
    import sys

    from reasonlab.build import stage_main

    sys.exit(stage_main("experiments", sys.argv[1:]))
