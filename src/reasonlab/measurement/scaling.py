"""Inference-time scaling under one name, as the notebooks call it (``rl.scaling.pass_at_k``).

Two modules, one direction: the pure estimators (pass@k, best-of-N, cost) are
:mod:`reasonlab.measurement.estimators`, the majority vote :mod:`reasonlab.measurement.voting`; the
experiments that sample a policy (sweeps, thinking budgets, sequential revisions) are
:mod:`reasonlab.measurement.sweeps`, which builds on the estimators; pricing their rows and the cost
frontier is :mod:`reasonlab.measurement.costs`. This module only re-exports them, so nothing imports
in a circle.
"""

from __future__ import annotations

from . import estimators, voting
from .costs import cheapest, frontier, with_cost
from .estimators import *  # noqa: F403 (every estimator, by its own __all__)
from .sweeps import (
    GOLD,
    Budget,
    Samples,
    curves,
    draw,
    expected_max_at_k,
    format_table,
    judge,
    revise,
    sequential_at_k,
    sweep,
)
from .voting import *  # noqa: F403 (the majority vote, by its own __all__)

__all__ = [
    *estimators.__all__,
    *voting.__all__,
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
