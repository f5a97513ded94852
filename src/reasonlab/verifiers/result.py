"""The one result type every verifier returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VerifierResult:
    """What a verifier decided about one completion, and why.

    A trainer uses ``reward``; a person (or a log) uses the rest. Verifiers never raise on model
    output: anything they cannot parse becomes ``reward=0.0`` with a ``reason`` saying what failed.
    """

    reward: float  # 1.0 or 0.0 for the binary verifiers; format_reward may give partial credit
    reason: (
        str  # short human-readable why: "correct", "no final answer found", "timeout after 2.0 s"
    )
    extracted: str | None = None  # what was parsed from the completion (the final answer, the code)
    meta: dict[str, Any] = field(default_factory=dict)  # structured feedback (tests, parse trace)

    def __bool__(self) -> bool:
        """True when the verifier gave full reward, so ``if verify_math(...)`` reads naturally."""
        return self.reward >= 1.0
