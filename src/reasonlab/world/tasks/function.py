"""Code: write the body of ``f(x)`` from two input/output examples; the answer is a Python
expression, checked by unit tests in the sandbox. Difficulty picks the family (``x+b``,
``a*x+b``, negative coefficients, ``a*x*x+b``); the thinking steps solve for the two unknowns.
"""

from __future__ import annotations

import random

from .problem import Kind, Problem, Segment


def generate(rng: random.Random, d: int) -> Problem:
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


def steps(
    p: Problem, rng=None, check_rate=0.0, error_rate=0.0, check_style="subtract"
) -> list[Segment]:
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


KIND = Kind("code", "function", generate, steps)
