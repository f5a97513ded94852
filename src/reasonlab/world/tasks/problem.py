"""What every task kind shares: the :class:`Problem` record, the held-out split, and :class:`Kind`,
the entry a task kind registers (its generator and its demonstration steps)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

SPLITS = ("train", "test")
#: Fraction of all possible problems that belong to the held-out split.
TEST_FRACTION = 0.2
MAX_DIFFICULTY = 4

Segment = tuple[str, bool]  # (text, train on it?)


@dataclass(frozen=True)
class Problem:
    """One problem and everything its verifier needs.

    Attributes:
        domain: ``"math"``, ``"logic"`` or ``"code"``.
        kind: the family within the domain (``"add"``, ``"compare"``, ``"countdown"``,
            ``"function"``).
        prompt: the text the policy continues, e.g. ``"347+589="``.
        answer: the gold answer as text, without the ``#### `` prefix (``"936"``).
        difficulty: 1 (easiest) to 4.
        operands: the inputs (two ints for math, two decimal strings for compare, the numbers for
            countdown, the example inputs for code).
        target: the countdown target (``None`` elsewhere).
        tests: Python ``assert`` lines a code answer must pass (empty elsewhere).
    """

    domain: str
    kind: str
    prompt: str
    answer: str
    difficulty: int
    operands: tuple = ()
    target: int | None = None
    tests: tuple[str, ...] = ()

    @property
    def split(self) -> str:
        """``"test"`` if this problem is held out, else ``"train"``."""
        return split_of(self.domain, self.prompt)

    @property
    def a(self) -> str:
        """First number of a comparison (the attribute ``verify_logic`` reads)."""
        return str(self.operands[0])

    @property
    def b(self) -> str:
        """Second number of a comparison."""
        return str(self.operands[1])

    @property
    def numbers(self) -> list[int]:
        """Countdown numbers."""
        return list(self.operands)

    def spec(self) -> dict:
        """The problem as the logic verifier's dict (``{"kind": "compare", "a": .., "b": ..}``)."""
        if self.kind == "compare":
            return {"kind": "compare", "a": self.a, "b": self.b}
        if self.kind == "countdown":
            return {"kind": "countdown", "numbers": self.numbers, "target": self.target}
        raise ValueError(f"spec() is for logic problems, this one is {self.domain}/{self.kind}")

    def program(self, completion: str) -> str:
        """The Python program a code completion stands for: ``def f(x): return <answer>``."""
        from ...verifiers import extract_answer

        body = extract_answer(completion, last_number_fallback=False) or "None"
        return f"def f(x):\n    return {body}\n"

    def verify(self, completion: str, *, timeout: float = 1.0):
        """Check ``completion`` with the domain's verifier; never raises on model output.

        Returns:
            a ``reasonlab.verifiers.VerifierResult`` (``reward`` is 1.0 for a verified answer).
        """
        from .verify import verify_batch  # each domain to its verifier

        return verify_batch([self], [completion], timeout=timeout)[0]


def split_of(domain: str, prompt: str) -> str:
    """Which split a prompt belongs to: a fixed hash, so it never depends on a seed."""
    h = int.from_bytes(hashlib.sha256(f"{domain}|{prompt}".encode()).digest()[:8], "big")
    return "test" if h % 1000 < TEST_FRACTION * 1000 else "train"


@dataclass(frozen=True)
class Kind:
    """One task kind, as :mod:`reasonlab.world.tasks` registers it.

    Attributes:
        domain: ``"math"``, ``"logic"`` or ``"code"`` (which verifier grades it).
        name: the kind within the domain (``Problem.kind``).
        generate: ``(rng, difficulty) -> Problem``, one problem of that difficulty.
        steps: ``(problem, rng, check_rate, error_rate, check_style) -> segments``, the thinking
            steps of a demonstration (the randomness, the rates and the check style matter only
            to kinds that write self-checks: today math addition).
    """

    domain: str
    name: str
    generate: Callable[[random.Random, int], Problem]
    steps: Callable[[Problem, random.Random | None, float, float, str], list[Segment]]
