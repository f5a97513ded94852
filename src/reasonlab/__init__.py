"""reasonlab: the package behind the runnable chapter on reasoning training and test-time compute.

Notebooks use ``import reasonlab as rl`` and reach everything from here. Submodules are imported
lazily (PEP 562), so ``import reasonlab`` is cheap and never imports torch by itself: a verifier
sandbox or a Colab set-up cell pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# The layers, bottom to top (ARCHITECTURE.md, at the repository's root, shows the data
# flow): core, world, verifiers, training, measurement, shipped, plots and labs, build.
_PACKAGES = ("core", "world", "verifiers", "training", "measurement", "shipped", "plots", "labs")

# Each module by its short name (rl.rl, rl.zoo, rl.experiment_plots ...), as notebooks use
# them, and where it lives.
_SUBMODULES = {
    "adaptive_thinking": "shipped.adaptive_thinking",
    "allocation": "measurement.allocation",
    "artifacts": "core.artifacts",
    "bandit": "measurement.bandit",
    "bandit_plots": "plots.bandit",
    "bandit_world": "measurement.bandit_world",
    "buckets": "training.buckets",
    "ce": "training.ce",
    "config": "training.config",
    "costs": "measurement.costs",
    "build": "build",
    "credit": "training.credit",
    "credit_plots": "plots.credit",
    "credit_microscope": "shipped.credit_microscope",
    "credit_seeds": "shipped.credit_seeds",
    "credit_summary": "shipped.credit_summary",
    "distill": "shipped.distill",
    "distill_budget": "shipped.distill_budget",
    "distill_data": "shipped.distill_data",
    "distill_plots": "plots.distill",
    "distill_results": "shipped.distill_results",
    "distill_seeds": "shipped.distill_seeds",
    "estimators": "measurement.estimators",
    "evaluation": "measurement.evaluation",
    "experiment_plots": "plots.experiments",
    "experiments": "shipped.experiments",
    "experiments_seeds": "shipped.experiments_seeds",
    "gpt": "world.gpt",
    "gradients": "shipped.gradients",
    "labs": "labs",
    "losses": "training.losses",
    "metrics": "core.metrics",
    "origins": "shipped.origins",
    "origins_summary": "shipped.origins_summary",
    "origins_tables": "shipped.origins_tables",
    "plotting": "plots.history",
    "policy": "world.policy",
    "quiz": "quiz",
    "rewards": "verifiers.trl_rewards",
    "rl": "training.rl",
    "rl_batch": "training.rl_batch",
    "rl_update": "training.rl_update",
    "running_problem": "shipped.running_problem",
    "samples": "measurement.samples",
    "scaling": "measurement.scaling",
    "scaling_experiments": "measurement.sweeps",
    "scaling_plots": "plots.scaling",
    "seed_tables": "shipped.seed_tables",
    "sft": "training.sft",
    "stats": "core.stats",
    "tables": "core.tables",
    "tasks": "world.tasks",
    "testtime": "shipped.testtime",
    "testtime_plots": "plots.testtime",
    "tokenizer": "world.tokenizer",
    "training_rewards": "training.rewards",
    "trajectories": "training.trajectories",
    "utils": "core.utils",
    "verifiers": "verifiers",
    "voting": "measurement.voting",
    "zoo": "shipped.zoo",
}

# Names a reader uses directly (rl.evaluate, rl.train_rlvr, ...) and the module that defines them.
_NAMES = {
    "evaluate": "measurement.evaluation",
    "train_rlvr": "training.rl",
    "RLConfig": "training.rl",
    "set_seed": "core.utils",
}

__all__ = ["__version__", *_PACKAGES, *_SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES or name in _PACKAGES:
        module = importlib.import_module(f"{__name__}.{_SUBMODULES.get(name, name)}")
        globals()[name] = module
        return module
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reasonlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
