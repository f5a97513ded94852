"""Process-level feedback: check each intermediate step of a chain of thought on its own.

In an addition every column sum and carry can be recomputed from the operands; a logic or code
step that states an arithmetic claim (``3*4=12``, ``9.11|9.90``) can be recomputed from the
claim. :func:`check_steps` returns one :class:`Step` per step of a completion's thinking, with
``ok`` True, False or None (nothing to check) and the reason; the chain lab shows them, and the
self-check measurements count them.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from typing import Any

from ..world.tokenizer import ANSWER, CHECK, END_THINK, THINK, WAIT

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _arith(text: str) -> float | None:
    """Value of a small arithmetic expression (numbers, + - * /, brackets); None if not one."""
    if not text or len(text) > 40 or not re.fullmatch(r"[0-9.+\-*/() ]+", text):
        return None
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError("not arithmetic")

    try:
        return float(ev(tree))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


@dataclass(frozen=True)
class Step:
    """One thinking step and what checking it found.

    Attributes:
        text: the step as written (markers included).
        ok: True (the step checks out), False (it is wrong), None (nothing to check).
        note: why, in a few words.
    """

    text: str
    ok: bool | None
    note: str


def _aligned_ok(claim: str, operands: list) -> tuple[bool | None, str]:
    """``8.240|8.920``: the two decimals rewritten with as many places each, values unchanged."""
    left, _, right = claim.partition("|")
    try:
        same = [float(left), float(right)] == [float(o) for o in operands[:2]]
    except (ValueError, TypeError):
        return False, "not two numbers"
    places = [len(x.partition(".")[2]) for x in (left, right)]
    if not same:
        return False, "rewrites change the numbers"
    if places[0] != places[1]:
        return False, "places not aligned"
    return True, f"aligned to {places[0]} places"


def _claim_ok(claim: str) -> tuple[bool | None, str]:
    """Check one claim ``e1=e2[=e3]``, ``x<y`` or ``x>y`` by recomputing it."""
    claim = re.sub(r"^[a-z]=", "", claim.strip())  # "a=(1--1)/(7-5)=1": drop the name
    for sym, op in (("<", operator.lt), (">", operator.gt)):
        if sym in claim:
            left, _, right = claim.partition(sym)
            a, b = _arith(left), _arith(right)
            if a is None or b is None:
                return None, "not a comparison of numbers"
            return (True, "comparison holds") if op(a, b) else (False, f"{a:g}{sym}{b:g} is false")
    if "=" not in claim:
        return None, "nothing to check"
    values = [_arith(part) for part in claim.split("=")]
    if any(v is None for v in values):
        return None, "not arithmetic"
    if all(abs(v - values[0]) < 1e-9 for v in values):
        return True, "recomputed: right"
    return False, f"recomputed: {values[0]:g}, not {values[-1]:g}"


def _column_ok(step: str, column: int, operands: list, carry: int) -> tuple[bool, str, int]:
    """For addition: are the digits those of column ``column`` and the carry the last one's?

    Each step is judged given the steps before it *as written*: the carry it must use is the one
    the previous written sum implies, so one slip is flagged once, where it happens.

    Returns:
        (ok, note, the carry the next step must use).
    """
    m = re.match(r"^(\d)\+(\d)(?:\+(\d))?=(\d+)$", step)
    if not m:
        return False, "not a column sum", carry
    x, y, c, s = int(m[1]), int(m[2]), int(m[3] or 0), int(m[4])
    digits = [str(op)[::-1] for op in operands]
    want = [int(d[column]) if column < len(d) else 0 for d in digits]
    if sorted((x, y)) != sorted(want):
        return False, f"column {column + 1} has digits {want[0]} and {want[1]}", s // 10
    if c != carry:
        return False, f"carry should be {carry}", s // 10
    if s != x + y + c:
        return False, f"{x}+{y}+{c} is {x + y + c}, not {s}", s // 10
    return True, f"column {column + 1} right, carry {s // 10}", s // 10


def split_completion(completion: str) -> tuple[list[str], str]:
    """(thinking steps, the answer text after ``#### ``, or "") of a completion."""
    think = ""
    if THINK in completion:
        think = completion.split(THINK, 1)[1]
        think = think.split(END_THINK, 1)[0] if END_THINK in think else think.split(ANSWER, 1)[0]
    answer = (
        completion.rsplit(ANSWER, 1)[1].split("\n", 1)[0].strip() if ANSWER in completion else ""
    )
    steps = [s for s in think.split(",") if s] if think else []
    return steps, answer


def check_steps(problem: dict[str, Any], completion: str) -> list[Step]:
    """Process-level feedback: check every thinking step of ``completion`` on its own.

    Any arithmetic claim is recomputed (``a=(1--1)/(7-5)=1``, ``4+7+1=12``, ``2<9``). For an
    addition each step must also add the right column's digits with the previous carry. A
    ``<check>`` is a second claim to recompute; after a ``<wait>`` the revised step counts.

    Args:
        problem: a dict with ``domain`` and ``operands`` (the two numbers, for math).
        completion: the generated text (never raises on it).
    """
    steps, _ = split_completion(completion)
    out, carry = [], 0
    for i, raw in enumerate(steps):
        text = raw.split(WAIT)[-1]  # a revision replaces what came before it
        claim, _, check = text.partition(CHECK)
        if "|" in claim and problem.get("operands"):
            ok, note = _aligned_ok(claim, problem["operands"])
        else:
            ok, note = _claim_ok(claim)
        if problem["domain"] == "math" and problem.get("operands"):
            col_ok, col_note, carry = _column_ok(claim, i, problem["operands"], carry)
            if ok is not False:
                ok, note = col_ok, col_note
        if check and ok is not False:
            c_ok, c_note = _claim_ok(check)
            if c_ok is False:
                ok, note = False, f"its own check fails ({c_note})"
            elif c_ok:
                note += "; self-check agrees"
        if WAIT in raw:
            note = "revised after a check: " + note
        out.append(Step(raw, ok, note))
    return out
