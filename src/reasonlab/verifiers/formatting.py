"""The format reward: does a completion think first, then answer?

``format_reward`` is deliberately *separate* from correctness. It is 1.0 when the completion is
exactly ``<think> ...reasoning... </think>`` followed by a non-empty answer, and 0.0 otherwise;
``meta`` says which check failed. The checks:

- ``starts_with_think``: the completion begins (after whitespace) with ``<think>``;
- ``one_think_block``: exactly one ``<think>`` and one ``</think>``, in that order;
- ``think_nonempty``: the reasoning holds at least one non-space character;
- ``answer_after_think``: something other than whitespace follows ``</think>``.

This is easy to game, and the book shows it: ``<think>.</think> 0`` earns the full format reward
while being wrong, so a format reward must only ever be a small bonus next to a verifier.
"""

from __future__ import annotations

from ..tokenizer import END_THINK as CLOSE
from ..tokenizer import THINK as OPEN
from .result import VerifierResult


def format_reward(completion: str) -> VerifierResult:
    """1.0 iff ``completion`` is ``<think>...</think>`` then an answer (checks in the docstring).

    Args:
        completion: model output; never raises on it.

    Returns:
        A :class:`VerifierResult` whose ``extracted`` is the answer part and whose ``meta`` holds
        each check as a bool.
    """
    if not isinstance(completion, str):
        return VerifierResult(0.0, "completion is not a string", None, {})
    text = completion.strip()
    n_open, n_close = text.count(OPEN), text.count(CLOSE)
    close = text.find(CLOSE)
    checks = {
        "starts_with_think": text.startswith(OPEN),
        "one_think_block": n_open == 1 and n_close == 1 and text.find(OPEN) < close,
    }
    thought = text[len(OPEN) : close] if checks["one_think_block"] else ""
    answer = text[close + len(CLOSE) :].strip() if close >= 0 else ""
    checks["think_nonempty"] = bool(thought.strip())
    checks["answer_after_think"] = bool(answer)
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        return VerifierResult(0.0, "bad format: " + ", ".join(failed), answer or None, checks)
    return VerifierResult(1.0, "well formatted", answer, checks)
