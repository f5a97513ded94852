"""Verifiers a real RLVR run could trust: math, code, logic and format.

Every verifier returns a :class:`VerifierResult` (``reward``, ``reason``, ``extracted``, ``meta``)
and never raises on model output. See each module's docstring for its exact rules:
:mod:`.extraction` (which answer counts), :mod:`.normalize` (what counts as equal),
:mod:`.symbolic` (sympy behind a hard time bound), :mod:`.sandbox` (the code judge's threat
model), :mod:`.logic` (problem forms), :mod:`.formatting` (the format reward).
"""

from .extraction import extract_answer
from .formatting import format_reward
from .logic import verify_logic
from .math_answers import verify_math
from .result import VerifierResult
from .sandbox import verify_code, verify_code_batch

__all__ = [
    "VerifierResult",
    "extract_answer",
    "format_reward",
    "verify_code",
    "verify_code_batch",
    "verify_logic",
    "verify_math",
]
