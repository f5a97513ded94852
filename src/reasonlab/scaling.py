"""Inference-time scaling under one name, as the notebooks call it (``rl.scaling.pass_at_k``).

Two modules, one direction: the pure estimators (pass@k, majority vote, best-of-N, cost) are
:mod:`reasonlab.estimators`; the experiments that sample a policy (sweeps, thinking budgets,
sequential revisions, the cost frontier) are :mod:`reasonlab.scaling_experiments`, which builds
on the estimators. This module only re-exports both, so nothing imports in a circle.
"""

from __future__ import annotations

from . import estimators
from .estimators import *  # noqa: F403 (every estimator, by its own __all__)
from .scaling_experiments import (
    GOLD,
    Budget,
    Samples,
    cheapest,
    curves,
    draw,
    expected_max_at_k,
    format_table,
    frontier,
    judge,
    revise,
    sequential_at_k,
    sweep,
    with_cost,
)

__all__ = [
    *estimators.__all__,
    "GOLD",
    "Budget",
    "Samples",
    "cheapest",
    "curves",
    "draw",
    "expected_max_at_k",
    "format_table",
    "frontier",
    "judge",
    "revise",
    "sequential_at_k",
    "sweep",
    "with_cost",
]
