"""reasonlab: the package behind the runnable chapter on reasoning training and test-time compute.

Notebooks use ``import reasonlab as rl`` and reach everything from here. Submodules are imported
lazily (PEP 562), so ``import reasonlab`` is cheap and never imports torch by itself: a verifier
sandbox or a Colab set-up cell pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# One idea per module; ARCHITECTURE.md (repository root) shows how data flows between them.
_SUBMODULES = (
    "artifacts",
    "bandit",
    "build",
    "distill",
    "distill_plots",
    "distill_seeds",
    "estimators",
    "evaluation",
    "experiment_plots",
    "experiments",
    "labs",
    "losses",
    "metrics",
    "plotting",
    "policy",
    "quiz",
    "rewards",
    "rl",
    "scaling",
    "scaling_experiments",
    "scaling_plots",
    "sft",
    "tasks",
    "tokenizer",
    "trajectories",
    "utils",
    "verifiers",
    "zoo",
)

# Names a reader uses directly (rl.evaluate, rl.train_rlvr, ...) and the module that defines them.
_NAMES = {
    "evaluate": "evaluation",
    "train_rlvr": "rl",
    "RLConfig": "rl",
    "set_seed": "utils",
}

__all__ = ["__version__", *_SUBMODULES, *_NAMES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'reasonlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
