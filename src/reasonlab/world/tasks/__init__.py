"""Problems of the toy world: generated from a seed, with a difficulty knob and a held-out split.

Three domains mirror the chapter's analogy of a tutor who checks every step:

* ``"math"``: multi-digit addition, ``347+589=``; the answer is GSM8K style, ``#### 936``;
  difficulty is the number of digits of each operand (1-4).
* ``"logic"``: decimal comparison, ``max(9.11,9.9)=`` (answer ``#### 9.9``), or countdown
  (``kind="countdown"``: combine the numbers with ``+ - *`` to reach the target); difficulty
  is the number of decimals, or how many numbers there are minus one.
* ``"code"``: write the body of ``f(x)`` from input/output examples; the answer is a Python
  expression, checked by running unit tests in the sandbox; difficulty picks the family
  (``x+b``, ``a*x+b``, negative coefficients, ``a*x*x+b``).

Each problem can also be written out as a *demonstration* (what a teacher would write): either
the answer alone or ``<think> steps </think>`` then the answer. The thinking steps are local and
easy (one digit column, one decimal place, one operation), which is why thinking makes hard
instances easier for a tiny model. Math demonstrations may also *check* a step (``<check>``,
recomputing an operand by subtraction) and, when the check exposes a deliberately wrong step,
*revise* it (``<wait>`` then the corrected step).

Each kind is a module of this package (``add``, ``compare``, ``countdown``, ``function``) that
registers a :class:`~reasonlab.world.tasks.problem.Kind` (its generator and its demonstration
steps) in :data:`KINDS`; :func:`make` and :func:`demonstration` look kinds up there.

The split is a property of the problem, not of the seed: a problem belongs to ``"test"`` when a
hash of its prompt says so, so no seed can ever put a held-out problem into training.
"""

from __future__ import annotations

import random

from ..tokenizer import ANSWER, END_THINK, THINK
from . import add, compare, countdown, function
from .add import CHECK_STYLES
from .problem import MAX_DIFFICULTY, SPLITS, TEST_FRACTION, Kind, Problem, Segment, split_of
from .verify import rewards, verify_batch

__all__ = [
    "CHECK_STYLES",
    "DEFAULT_KIND",
    "DOMAINS",
    "KINDS",
    "MAX_DIFFICULTY",
    "SPLITS",
    "TEST_FRACTION",
    "Kind",
    "Problem",
    "Segment",
    "demonstration",
    "demonstration_text",
    "kind_of",
    "make",
    "rewards",
    "split_of",
    "verify_batch",
]

#: Every task kind, by ``(domain, kind)``; a new kind is a module with a ``KIND`` added here.
KINDS: dict[tuple[str, str], Kind] = {
    (k.domain, k.name): k for k in (add.KIND, compare.KIND, countdown.KIND, function.KIND)
}
DOMAINS = ("math", "logic", "code")
#: The kind :func:`make` draws when none is named.
DEFAULT_KIND = {"math": "add", "logic": "compare", "code": "function"}


def kind_of(problem: Problem) -> Kind:
    """The registered kind of ``problem``; a named error for one that is not registered."""
    entry = KINDS.get((problem.domain, problem.kind))
    if entry is None:
        raise ValueError(
            f"no task kind {problem.domain}/{problem.kind} is registered; known: "
            + ", ".join(f"{d}/{k}" for d, k in KINDS)
        )
    return entry


def _levels(difficulty: int | tuple[int, int]) -> list[int]:
    if isinstance(difficulty, int) and not isinstance(difficulty, bool):
        lo = hi = difficulty
    elif isinstance(difficulty, tuple | list) and len(difficulty) == 2:
        lo, hi = difficulty
    else:
        raise ValueError(f"difficulty must be an int or a (low, high) pair, got {difficulty!r}")
    if not 1 <= lo <= hi <= MAX_DIFFICULTY:
        raise ValueError(
            f"difficulty must lie in 1..{MAX_DIFFICULTY} with low <= high, got {difficulty!r}"
        )
    return list(range(lo, hi + 1))


def make(
    domain: str,
    n: int,
    *,
    difficulty: int | tuple[int, int] = (1, 4),
    seed: int = 0,
    split: str = "train",
    kind: str | None = None,
) -> list[Problem]:
    """Generate ``n`` problems, balanced over the difficulty levels (1, 2, 3, 4, 1, 2, ...).

    Args:
        domain: ``"math"``, ``"logic"`` or ``"code"``.
        n: how many problems (repeats are possible when a level has few distinct problems,
            e.g. one-digit sums).
        difficulty: one level or an inclusive ``(low, high)`` range within 1..4.
        seed: same seed, same problems.
        split: ``"train"`` or ``"test"``; the two never share a prompt.
        kind: the family within a domain (``"countdown"`` for logic); default the first one.

    Returns:
        list of ``n`` :class:`Problem`.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; choose one of {DOMAINS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    kind = kind or DEFAULT_KIND[domain]
    entry = KINDS.get((domain, kind))
    if entry is None:
        kinds = [k for d, k in KINDS if d == domain]
        raise ValueError(f"unknown kind {kind!r} for domain {domain!r}; choose one of {kinds}")
    gen = entry.generate
    levels = _levels(difficulty)
    rng = random.Random(f"{domain}/{kind}/{split}/{seed}")  # str seeds hash with sha512: stable
    out = []
    for i in range(n):
        while True:  # rejection: keep only problems of the requested split
            p = gen(rng, levels[i % len(levels)])
            if p.split == split:
                break
        out.append(p)
    return out


def demonstration(
    problem: Problem,
    *,
    think: bool,
    rng: random.Random | None = None,
    check_rate: float = 0.0,
    error_rate: float = 0.0,
    check_style: str = "subtract",
) -> list[Segment]:
    """A correct completion for ``problem`` as segments ``(text, train_on_it)``.

    Args:
        problem: the problem.
        think: write ``<think> steps </think>`` before the answer.
        rng: randomness for self-checks (math only); ``None`` means no checks.
        check_rate: probability that a math step is followed by a ``<check>``.
        error_rate: probability that a checked step is first written wrong, then caught and
            revised with ``<wait>``; the wrong digits are marked not to train on.
        check_style: how a math check is written (:data:`CHECK_STYLES`).

    Returns:
        list of ``(text, bool)``; ``"".join(text)`` is the completion (without end of sequence).
    """
    segs: list[Segment] = []
    if think:
        if check_style not in CHECK_STYLES:
            raise ValueError(f"unknown check_style {check_style!r}; use one of {CHECK_STYLES}")
        steps = kind_of(problem).steps(problem, rng, check_rate, error_rate, check_style)
        segs = [(THINK, True), *steps, (END_THINK, True)]
    segs.append((ANSWER + problem.answer, True))
    return segs


def demonstration_text(problem: Problem, *, think: bool) -> str:
    """The plain-text demonstration (no checks), e.g. ``<think>7+9=16,...</think>#### 936``."""
    return "".join(t for t, _ in demonstration(problem, think=think))
