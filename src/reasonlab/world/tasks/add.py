"""Math: multi-digit addition, ``347+589=`` -> ``#### 936``; difficulty is the digits per operand.

The thinking steps add one digit column at a time with its carry; a step may be followed by a
self-check (``<check>``: recompute an operand by subtraction) and, when the step was written
wrong on purpose, by a revision (``<wait>`` then the right step).
"""

from __future__ import annotations

import random

from ..tokenizer import CHECK, WAIT
from .problem import Kind, Problem, Segment


def _number(rng: random.Random, digits: int) -> int:
    lo = 0 if digits == 1 else 10 ** (digits - 1)
    return rng.randint(lo, 10**digits - 1)


def generate(rng: random.Random, d: int) -> Problem:
    a, b = _number(rng, d), _number(rng, d)
    return Problem("math", "add", f"{a}+{b}=", str(a + b), d, (a, b))


#: How a math self-check is written (``demonstration(check_style=...)``):
#: ``subtract`` recomputes the first operand digit from the sum (``<check>s-y-c=x``), the
#: book's original check; ``redo`` writes the step again from its digits (``<check>x+y+c=s``),
#: a second, independent draw of the same sum, so a slip in sampling the first is caught.
CHECK_STYLES = ("subtract", "redo")


def steps(
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


KIND = Kind("math", "add", generate, steps)
