"""Logic: countdown, ``cd 3,4,5->17=``: combine the numbers with ``+ - *`` to reach the target;
difficulty is how many numbers there are minus one. The thinking steps evaluate the answer's
expression as Python does (``*`` first), one partial result at a time.
"""

from __future__ import annotations

import random

from .problem import Kind, Problem, Segment


def generate(rng: random.Random, d: int) -> Problem:
    nums = [rng.randint(1, 9) for _ in range(d + 1)]
    expr = str(nums[0])
    for n in nums[1:]:
        expr += rng.choice("+-*") + str(n)
    target = eval(expr)  # noqa: S307 (our own digits and operators)
    prompt = "cd " + ",".join(map(str, nums)) + f"->{target}="
    return Problem("logic", "countdown", prompt, expr, d, tuple(nums), target=target)


def steps(
    p: Problem, rng=None, check_rate=0.0, error_rate=0.0, check_style="subtract"
) -> list[Segment]:
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


KIND = Kind("logic", "countdown", generate, steps)
