"""Logic: decimal comparison, ``max(9.11,9.9)=`` -> ``#### 9.9``; difficulty is the decimals.

Half the pairs share their whole part, where the longer decimal is the trap. The thinking steps
pad both to the same length and compare place by place.
"""

from __future__ import annotations

import random

from .problem import Kind, Problem, Segment


def _decimal(rng: random.Random, whole: int, places: int) -> str:
    frac = str(rng.randint(0, 10**places - 1)).zfill(places)
    if places > 1 and frac.endswith("0"):  # no trailing zeros: 9.10 is written 9.1
        frac = frac[:-1] + str(rng.randint(1, 9))
    return f"{whole}.{frac}"


def generate(rng: random.Random, d: int) -> Problem:
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


def steps(
    p: Problem, rng=None, check_rate=0.0, error_rate=0.0, check_style="subtract"
) -> list[Segment]:
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


KIND = Kind("logic", "compare", generate, steps)
