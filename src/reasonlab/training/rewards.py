"""What the RL loop rewards: the verifier, or a stand-in for it (``RLConfig.reward``).

The chapter's runs reward the verifier's verdict and nothing else. The other rewards exist to
test claims about that choice: a proxy a policy might learn to satisfy without solving the
problem (reward hacking), and controls that carry no information about correctness at all.
Whatever the reward, the loop still records the verifier's verdict (``Batch.correct``), so a
run on a proxy is judged by the strict verifier at every step.

===============  ================================================================================
``verifier``     the verifier's 0/1 verdict (``tasks.verify_batch``): the chapter's reward
``substring``    1 when the gold answer's text occurs anywhere in the completion (a loose grader)
``last_number``  1 when the completion's last number equals the gold, marker or not
``format``       1 when the completion ends in the answer marker and a number, right or wrong
``negated``      1 minus the verdict: the reward of a wrong answer
``coin``         a fair coin per sample, independent of the completion (seeded by seed and step)
===============  ================================================================================

Each reward is a function ``(problems, completions, correct, seed) -> (N,) float tensor``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import torch

from ..world.tokenizer import ANSWER

_NUMBER = re.compile(r"-?\d+")
_FORMAT = re.compile(re.escape(ANSWER.strip()) + r"\s*-?\d+\s*$")

RewardFn = Callable[[Sequence, Sequence[str], torch.Tensor, int], torch.Tensor]


def _verifier(problems, completions, correct, seed) -> torch.Tensor:
    return correct.clone()


def _substring(problems, completions, correct, seed) -> torch.Tensor:
    return torch.tensor([float(p.answer in c) for p, c in zip(problems, completions, strict=True)])


def _last_number(problems, completions, correct, seed) -> torch.Tensor:
    def last(c: str) -> str | None:
        found = _NUMBER.findall(c)
        return found[-1] if found else None

    return torch.tensor(
        [float(last(c) == p.answer) for p, c in zip(problems, completions, strict=True)]
    )


def _format(problems, completions, correct, seed) -> torch.Tensor:
    return torch.tensor([float(bool(_FORMAT.search(c))) for c in completions])


def _negated(problems, completions, correct, seed) -> torch.Tensor:
    return 1.0 - correct


def _coin(problems, completions, correct, seed) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 2, (len(completions),), generator=gen).float()


REWARDS: dict[str, RewardFn] = {
    "verifier": _verifier,
    "substring": _substring,
    "last_number": _last_number,
    "format": _format,
    "negated": _negated,
    "coin": _coin,
}


def check(name: str) -> None:
    """Raise a named ``ValueError`` for an unknown reward."""
    if name not in REWARDS:
        raise ValueError(f"unknown reward {name!r}; choose one of {tuple(REWARDS)}")


def reward(
    name: str, problems: Sequence, completions: Sequence[str], correct: torch.Tensor, seed: int
) -> torch.Tensor:
    """The reward ``name`` of each completion, as an ``(N,)`` float tensor.

    Args:
        name: a key of :data:`REWARDS`.
        problems: N problems (``tasks.Problem``), one per completion.
        completions: N completions.
        correct: the verifier's N verdicts (0/1 floats).
        seed: seeds the ``coin`` reward (the loop passes one per step).
    """
    check(name)
    return REWARDS[name](problems, completions, correct, seed)
