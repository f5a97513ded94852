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

The split is a property of the problem, not of the seed: a problem belongs to ``"test"`` when a
hash of its prompt says so, so no seed can ever put a held-out problem into training.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from .tokenizer import ANSWER, CHECK, END_THINK, THINK, WAIT

DOMAINS = ("math", "logic", "code")
SPLITS = ("train", "test")
#: Fraction of all possible problems that belong to the held-out split.
TEST_FRACTION = 0.2
MAX_DIFFICULTY = 4


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
        from .verifiers import extract_answer

        body = extract_answer(completion, last_number_fallback=False) or "None"
        return f"def f(x):\n    return {body}\n"

    def verify(self, completion: str, *, timeout: float = 1.0):
        """Check ``completion`` with the domain's verifier; never raises on model output.

        Returns:
            a ``reasonlab.verifiers.VerifierResult`` (``reward`` is 1.0 for a verified answer).
        """
        return verify_batch([self], [completion], timeout=timeout)[0]


def verify_batch(problems: Sequence[Problem], completions: Sequence[str], *, timeout: float = 1.0):
    """Verify one completion per problem, running all code problems in one sandboxed process.

    Args:
        problems: the problems, any mix of domains.
        completions: one completion per problem (same order).
        timeout: seconds per check (per batch for code).

    Returns:
        list of ``VerifierResult``, one per completion.
    """
    from . import verifiers  # imported here: tasks must stay usable without the sandbox loaded

    if len(problems) != len(completions):
        raise ValueError(f"{len(problems)} problems but {len(completions)} completions")
    results: list = [None] * len(problems)
    code_idx = [i for i, p in enumerate(problems) if p.domain == "code"]
    for i, (p, c) in enumerate(zip(problems, completions, strict=True)):
        if p.domain == "math":
            results[i] = verifiers.verify_math(c, p.answer, timeout=timeout)
        elif p.domain == "logic":
            results[i] = verifiers.verify_logic(c, p.spec())
    if code_idx:
        codes = [problems[i].program(completions[i]) for i in code_idx]
        tests = [list(problems[i].tests) for i in code_idx]
        for i, r in zip(
            code_idx, verifiers.verify_code_batch(codes, tests, timeout=timeout), strict=True
        ):
            results[i] = r
    return results


def rewards(problems: Sequence[Problem], completions: Sequence[str], **kw) -> list[float]:
    """Verified rewards (0.0 or 1.0) of ``completions``; see :func:`verify_batch`."""
    return [float(r.reward) for r in verify_batch(problems, completions, **kw)]


def split_of(domain: str, prompt: str) -> str:
    """Which split a prompt belongs to: a fixed hash, so it never depends on a seed."""
    h = int.from_bytes(hashlib.sha256(f"{domain}|{prompt}".encode()).digest()[:8], "big")
    return "test" if h % 1000 < TEST_FRACTION * 1000 else "train"


# ----------------------------------------------------------------------------- generators


def _number(rng: random.Random, digits: int) -> int:
    lo = 0 if digits == 1 else 10 ** (digits - 1)
    return rng.randint(lo, 10**digits - 1)


def _math(rng: random.Random, d: int) -> Problem:
    a, b = _number(rng, d), _number(rng, d)
    return Problem("math", "add", f"{a}+{b}=", str(a + b), d, (a, b))


def _decimal(rng: random.Random, whole: int, places: int) -> str:
    frac = str(rng.randint(0, 10**places - 1)).zfill(places)
    if places > 1 and frac.endswith("0"):  # no trailing zeros: 9.10 is written 9.1
        frac = frac[:-1] + str(rng.randint(1, 9))
    return f"{whole}.{frac}"


def _compare(rng: random.Random, d: int) -> Problem:
    # Half the pairs share the whole part: then the longer decimal is the trap (9.11 < 9.9).
    wa = rng.randint(0, 20)
    wb = wa if rng.random() < 0.5 else rng.randint(0, 20)
    while True:
        a = _decimal(rng, wa, rng.randint(1, d))
        b = _decimal(rng, wb, rng.randint(1, d))
        if float(a) != float(b):
            break
    best = a if float(a) > float(b) else b
    return Problem("logic", "compare", f"max({a},{b})=", best, d, (a, b))


def _countdown(rng: random.Random, d: int) -> Problem:
    nums = [rng.randint(1, 9) for _ in range(d + 1)]
    expr = str(nums[0])
    for n in nums[1:]:
        expr += rng.choice("+-*") + str(n)
    target = eval(expr)  # noqa: S307 (our own digits and operators)
    prompt = "cd " + ",".join(map(str, nums)) + f"->{target}="
    return Problem("logic", "countdown", prompt, expr, d, tuple(nums), target=target)


def _function(rng: random.Random, d: int) -> Problem:
    a = rng.randint(1, 9) if d != 1 else 1
    b = rng.randint(0, 9)
    if d == 3:
        a, b = a * rng.choice((-1, 1)), b * rng.choice((-1, 1))
    xs = sorted(rng.sample(range(0, 10), 3))

    def f(x: int) -> int:
        return a * x * x + b if d == 4 else a * x + b

    if d == 1:
        body = f"x+{b}"
    elif d == 4:
        body = f"{a}*x*x+{b}"
    else:
        body = f"{a}*x{'+' if b >= 0 else '-'}{abs(b)}"
    shown = ",".join(f"f({x})={f(x)}" for x in xs[:2])
    tests = tuple(f"assert f({x}) == {f(x)}" for x in xs)
    return Problem("code", "function", f"{shown};f(x)=", body, d, tuple(xs), tests=tests)


_GENERATORS = {
    ("math", "add"): _math,
    ("logic", "compare"): _compare,
    ("logic", "countdown"): _countdown,
    ("code", "function"): _function,
}
_DEFAULT_KIND = {"math": "add", "logic": "compare", "code": "function"}


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
    kind = kind or _DEFAULT_KIND[domain]
    gen = _GENERATORS.get((domain, kind))
    if gen is None:
        kinds = [k for d, k in _GENERATORS if d == domain]
        raise ValueError(f"unknown kind {kind!r} for domain {domain!r}; choose one of {kinds}")
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


# ----------------------------------------------------------------------------- demonstrations

Segment = tuple[str, bool]  # (text, train on it?)


#: How a math self-check is written (``demonstration(check_style=...)``):
#: ``subtract`` recomputes the first operand digit from the sum (``<check>s-y-c=x``), the
#: book's original check; ``redo`` writes the step again from its digits (``<check>x+y+c=s``),
#: a second, independent draw of the same sum, so a slip in sampling the first is caught.
CHECK_STYLES = ("subtract", "redo")


def _math_steps(
    p: Problem,
    rng: random.Random | None,
    check_rate: float,
    error_rate: float,
    check_style: str = "subtract",
) -> list[Segment]:
    a, b = p.operands
    da, db = str(a)[::-1], str(b)[::-1]
    carry, segs = 0, []
    for i in range(max(len(da), len(db))):
        x = int(da[i]) if i < len(da) else 0
        y = int(db[i]) if i < len(db) else 0
        s = x + y + carry
        lhs = f"{x}+{y}" + (f"+{carry}" if carry else "")
        sep = "," if i else ""
        if rng is not None and rng.random() < check_rate:
            if rng.random() < error_rate:
                # A deliberately wrong step, caught by the check and revised. The wrong digits are
                # not trained on (the model should learn to catch errors, not to make them).
                wrong = s + rng.choice([k for k in (-2, -1, 1, 2) if s + k >= 0])
                segs.append((f"{sep}{lhs}=", True))
                segs.append((str(wrong), False))
                if check_style == "redo":
                    segs.append((f"{CHECK}{lhs}={s}{WAIT}{lhs}={s}", True))
                    carry = s // 10
                    continue
                check = f"{CHECK}{wrong}-{y}" + (f"-{carry}" if carry else "")
                segs.append((f"{check}={wrong - y - carry}{WAIT}{lhs}={s}", True))
            elif check_style == "redo":
                segs.append((f"{sep}{lhs}={s}{CHECK}{lhs}={s}", True))
            else:
                check = f"{CHECK}{s}-{y}" + (f"-{carry}" if carry else "")
                segs.append((f"{sep}{lhs}={s}{check}={x}", True))
        else:
            segs.append((f"{sep}{lhs}={s}", True))
        carry = s // 10
    return segs


def _compare_steps(p: Problem) -> list[Segment]:
    a, b = p.operands
    wa, fa = a.split(".")
    wb, fb = b.split(".")
    k = max(len(fa), len(fb))
    fa, fb = fa.ljust(k, "0"), fb.ljust(k, "0")
    steps = [f"{wa}.{fa}|{wb}.{fb}"]
    if int(wa) != int(wb):
        steps.append(f"{wa}{'>' if int(wa) > int(wb) else '<'}{wb}")
    else:
        steps.append(f"{wa}={wb}")
        for x, y in zip(fa, fb, strict=True):
            steps.append(f"{x}{'>' if x > y else '<' if x < y else '='}{y}")
            if x != y:
                break
    return [(",".join(steps), True)]


def _countdown_steps(p: Problem) -> list[Segment]:
    # Evaluate left to right with * first, as Python does, showing each partial result.
    tokens, num = [], ""
    for ch in p.answer:
        if ch.isdigit():
            num += ch
        else:
            tokens += [int(num), ch]
            num = ""
    tokens.append(int(num))
    steps, terms = [], [tokens[0]]
    ops = []
    for op, n in zip(tokens[1::2], tokens[2::2], strict=True):
        if op == "*":
            steps.append(f"{terms[-1]}*{n}={terms[-1] * n}")
            terms[-1] *= n
        else:
            ops.append(op)
            terms.append(n)
    acc = terms[0]
    for op, n in zip(ops, terms[1:], strict=True):
        new = acc + n if op == "+" else acc - n
        steps.append(f"{acc}{op}{n}={new}")
        acc = new
    return [(",".join(steps) or str(acc), True)]


def _function_steps(p: Problem) -> list[Segment]:
    x0, x1 = p.operands[:2]
    # Recover the two unknowns from the two shown examples (y0, y1).
    line = p.prompt.split(";")[0].split(",")
    y0, y1 = (int(s.split("=")[1]) for s in line)
    if p.difficulty == 4:
        a = (y1 - y0) // (x1 * x1 - x0 * x0)
        steps = f"a=({y1}-{y0})/({x1 * x1}-{x0 * x0})={a},b={y0}-{a}*{x0 * x0}={y0 - a * x0 * x0}"
    else:
        a = (y1 - y0) // (x1 - x0)
        steps = f"a=({y1}-{y0})/({x1}-{x0})={a},b={y0}-{a}*{x0}={y0 - a * x0}"
    return [(steps, True)]


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
        check_style: how a check is written (:data:`CHECK_STYLES`).

    Returns:
        list of ``(text, bool)``; ``"".join(text)`` is the completion (without end of sequence).
    """
    segs: list[Segment] = []
    if think:
        if problem.kind == "add":
            if check_style not in CHECK_STYLES:
                raise ValueError(f"unknown check_style {check_style!r}; use one of {CHECK_STYLES}")
            steps = _math_steps(problem, rng, check_rate, error_rate, check_style)
        elif problem.kind == "compare":
            steps = _compare_steps(problem)
        elif problem.kind == "countdown":
            steps = _countdown_steps(problem)
        else:
            steps = _function_steps(problem)
        segs = [(THINK, True), *steps, (END_THINK, True)]
    segs.append((ANSWER + problem.answer, True))
    return segs


def demonstration_text(problem: Problem, *, think: bool) -> str:
    """The plain-text demonstration (no checks), e.g. ``<think>7+9=16,...</think>#### 936``."""
    return "".join(t for t, _ in demonstration(problem, think=think))
