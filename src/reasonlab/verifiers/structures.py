"""The shape of an answer for the sympy worker (:mod:`reasonlab.verifiers.symbolic`): expression,
equation, named value, matrix, tuple, interval, set or list, as JSON whose expressions are checked
Python source (:func:`reasonlab.verifiers.latex_python.to_source`).
"""

from __future__ import annotations

import re
from typing import Any

from .latex_python import RefusedError, to_source

MAX_ITEMS = 20
MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}", re.S)
_SUBSCRIPTED = re.compile(r"([A-Za-z]+_\{?[A-Za-z0-9]+\}?)\s*=(.*)", re.S)  # "x_{1} = ..."


def _split_top(s: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(s[start:i])
            start = i + 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def parse_structure(s: str) -> dict[str, Any]:
    """The shape of an answer: expr, eq, named (``x_1 = ...``: a value with a subscripted name),
    matrix, tuple, interval, set or list (unordered), as JSON."""
    s = s.strip()
    m = MATRIX.fullmatch(s)
    if m:
        rows = [r.strip() for r in m.group(2).split("\\\\")]
        cells = [[parse_structure(c) for c in r.split("&")] for r in rows if r]
        if len({len(r) for r in cells}) != 1 or sum(map(len, cells)) > MAX_ITEMS:
            raise RefusedError("ragged or too many cells")
        return {"type": "matrix", "rows": cells}
    m = _SUBSCRIPTED.fullmatch(s)
    if m and "=" not in m.group(2) and "," not in m.group(2):
        name = m.group(1).replace("{", "").replace("}", "")
        return {"type": "named", "name": name, "value": parse_structure(m.group(2))}
    if "\\cup" in s:
        raise RefusedError("unions of intervals are not supported")
    if "=" in s and len(_split_top(s)) == 1:  # "x_1 = 2, x_2 = 3" is a list
        parts = s.split("=")
        if len(parts) != 2 or any(c in s for c in "<>"):
            raise RefusedError("not a single equation")
        return {"type": "eq", "lhs": to_source(parts[0]), "rhs": to_source(parts[1])}
    if s.startswith("\\{") and s.endswith("\\}"):
        items = _split_top(s[2:-2])
        return {"type": "set", "items": [parse_structure(x) for x in items[: MAX_ITEMS + 1]]}
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]":
        items = _split_top(s[1:-1])
        if len(items) > 1:
            if len(items) > MAX_ITEMS:
                raise RefusedError("too many items")
            parsed = [parse_structure(x) for x in items]
            if s[0] == "(" and s[-1] == ")":
                return {"type": "tuple", "items": parsed}
            if len(items) != 2:
                raise RefusedError("an interval has two ends")
            return {
                "type": "interval",
                "items": parsed,
                "left_open": s[0] == "(",
                "right_open": s[-1] == ")",
            }
    items = _split_top(s)
    if len(items) > 1:
        if len(items) > MAX_ITEMS:
            raise RefusedError("too many items")
        return {"type": "list", "items": [parse_structure(x) for x in items]}
    return {"type": "expr", "src": to_source(s)}


def bare(a: dict, b: dict) -> tuple[dict, dict]:
    """Without names: a named value against an unnamed one is its value; a list of named values
    against a list of unnamed ones, the list of values."""
    if (a["type"] == "named") != (b["type"] == "named"):
        return tuple(v["value"] if v["type"] == "named" else v for v in (a, b))
    if a["type"] in ("list", "set") and b["type"] in ("list", "set"):
        named = [all(x["type"] == "named" for x in v["items"]) for v in (a, b)]
        other = b if named[0] else a
        if named[0] != named[1] and not any(x["type"] == "named" for x in other["items"]):
            return tuple(
                {**v, "items": [x["value"] for x in v["items"]]} if n else v
                for v, n in zip((a, b), named, strict=True)
            )
    return a, b
