"""Logic verifiers: decimal comparison ("which is bigger, 9.11 or 9.9?") and countdown puzzles.

Accepted ``problem`` forms (a mapping, or any object with the same attributes):

- ``{"kind": "compare", "a": "9.11", "b": "9.9"}``: the answer is the larger number, compared
  by value (``9.90`` counts as ``9.9``); add ``"which": "smaller"`` to ask for the smaller one.
  Naming both numbers in the final answer is a hedge and gets no reward.
- ``{"kind": "countdown", "numbers": [3, 7, 25, 50], "target": 100}``: the answer is an
  arithmetic expression using ``+ - * /`` and parentheses over the given numbers, each at most
  once (``"use_all": True`` demands every number), whose exact value is ``target``. The
  expression is parsed with :mod:`ast` and evaluated node by node with exact fractions;
  nothing is ever ``eval``-ed. A trailing ``= 100`` is allowed.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .extraction import answer_region, extract_answer
from .normalize import normalize, parse_number
from .result import VerifierResult

MAX_EXPRESSION_CHARS = 300


def _field(problem: Any, name: str, default: Any = None) -> Any:
    if isinstance(problem, Mapping):
        return problem.get(name, default)
    return getattr(problem, name, default)


def verify_logic(completion: str, problem: Any) -> VerifierResult:
    """Verify a logic-task completion against ``problem`` (forms in the module docstring).

    Args:
        completion: model output; its final answer is found as in :func:`extract_answer`.
        problem: a mapping or object with ``kind`` and the fields that kind needs.

    Returns:
        A binary :class:`VerifierResult`; ``meta`` names the expected answer or the numbers used.

    Raises:
        ValueError: if ``problem`` itself is malformed (that is our bug, not the model's).
    """
    kind = _field(problem, "kind")
    if kind == "compare":
        return _verify_compare(completion, problem)
    if kind == "countdown":
        return _verify_countdown(completion, problem)
    raise ValueError(f"problem kind must be 'compare' or 'countdown', got {kind!r}")


def _verify_compare(completion: str, problem: Any) -> VerifierResult:
    a, b = str(_field(problem, "a")), str(_field(problem, "b"))
    va, vb = parse_number(a), parse_number(b)
    if va is None or vb is None:
        raise ValueError(f"compare problem needs two numbers, got a={a!r}, b={b!r}")
    which = _field(problem, "which", "larger")
    if which not in ("larger", "smaller"):
        raise ValueError(f"which must be 'larger' or 'smaller', got {which!r}")
    want, other = (
        ((a, b) if va > vb else (b, a)) if which == "larger" else ((a, b) if va < vb else (b, a))
    )
    meta = {"expected": want, "which": which}
    if not isinstance(completion, str):
        return VerifierResult(0.0, "completion is not a string", None, meta)
    answer = extract_answer(completion)
    if answer is None:
        return VerifierResult(0.0, "no final answer found", None, meta)
    numbers = re.findall(r"-?\d+(?:\.\d+)?", answer)
    if len(numbers) > 1:
        return VerifierResult(0.0, "hedged: final answer names several numbers", answer, meta)
    value = parse_number(normalize(answer).text)
    if value is None:
        return VerifierResult(0.0, "final answer is not a number", answer, meta)
    if value == parse_number(want):
        return VerifierResult(1.0, "correct", answer, meta)
    if value == parse_number(other):
        return VerifierResult(0.0, f"picked the {'smaller' if which == 'larger' else 'larger'}",
                              answer, meta)  # fmt: skip
    return VerifierResult(0.0, "answer is neither number", answer, meta)


def _countdown_expression(completion: str) -> str | None:
    answer = extract_answer(completion, last_number_fallback=False)
    if answer is None:
        region = answer_region(completion)
        if region is None:
            return None
        lines = [ln.strip() for ln in region.strip().splitlines() if ln.strip()]
        answer = lines[-1] if lines else None
    return answer


def _evaluate(node: ast.AST, used: list[int]) -> Fraction:
    """Exact value of a whitelisted arithmetic node; records every literal in ``used``."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, used)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        used.append(node.value)
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        left, right = _evaluate(node.left, used), _evaluate(node.right, used)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right == 0:
            raise ZeroDivisionError("division by zero")
        return left / right
    raise ValueError(f"{type(node).__name__} is not allowed (only + - * / and the numbers)")


def _verify_countdown(completion: str, problem: Any) -> VerifierResult:
    numbers, target = _field(problem, "numbers"), _field(problem, "target")
    if not numbers or not all(type(n) is int for n in numbers) or type(target) is not int:
        raise ValueError(f"countdown needs int numbers and target, got {numbers!r}, {target!r}")
    use_all = bool(_field(problem, "use_all", False))
    meta: dict[str, Any] = {"numbers": list(numbers), "target": target}
    if not isinstance(completion, str):
        return VerifierResult(0.0, "completion is not a string", None, meta)
    expr = _countdown_expression(completion)
    if not expr:
        return VerifierResult(0.0, "no final answer found", None, meta)
    if len(expr) > MAX_EXPRESSION_CHARS:
        return VerifierResult(0.0, "expression too long", expr[:80], meta)
    text = expr.replace("×", "*").replace("÷", "/").replace("−", "-").replace("\\times", "*")
    text = text.replace("\\cdot", "*").replace("\\div", "/").replace("$", "").strip().rstrip(".")
    if "=" in text:  # "25 * 4 = 100": keep the side without the target
        left, _, right = text.partition("=")
        text = left if right.strip() == str(target) else text
    try:
        used: list[int] = []
        value = _evaluate(ast.parse(text.strip(), mode="eval"), used)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError, MemoryError) as err:
        return VerifierResult(0.0, f"not a valid expression: {err}"[:120], expr, meta)
    meta.update(used=used, value=str(value))
    extra = Counter(used) - Counter(numbers)
    if extra:
        return VerifierResult(0.0, f"uses numbers not available: {sorted(extra.elements())}",
                              expr, meta)  # fmt: skip
    if use_all and Counter(used) != Counter(numbers):
        return VerifierResult(0.0, "does not use every number", expr, meta)
    if value != target:
        return VerifierResult(0.0, f"evaluates to {value}, not {target}", expr, meta)
    return VerifierResult(1.0, "correct", expr, meta)
