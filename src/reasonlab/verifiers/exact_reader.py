"""The reader of :mod:`reasonlab.verifiers.exact`: a normalised answer (:mod:`.normalize`) into
one canonical value, or refused (None from :func:`canonical`).

The values, as tuples whose first item is the kind:

- ``("num", poly)``: an expression, read by :mod:`.expressions` (``("inf", sign)`` alone);
- ``("tuple", items)`` for ``(a, b)`` (ordered; items may be separated by ``;``), ``("interval",
  "[)", (a, b))``, ``("set", items)`` for sets ``\\{a, b\\}``, ``{a, b}`` and bare lists ``a, b``
  (one kind here: order and repeats ignored), ``("bracket list", items)`` for ``[a, b, c]``;
  ``\\pm`` at the top level is the set ``{a+b, a-b}``;
- ``("reals", x, set)``: a one-variable bound or chain with constant ends (``x \\geq 5``,
  ``-2 \\le x < 7``, ``-x > -1``, ``1 \\le |z| \\le 2``, ``0 < f(x) < 1``) and unions of
  intervals, as one canonical set of reals (:mod:`.intervals`); ``x \\in S`` is ``S``;
  ``("rel", x, op, bound)`` when a bound has a variable;
- ``("eq", poly)``: an equation, ``lhs - rhs`` divided by its leading coefficient;
- ``("named", name, value, eq)``: a value with a name on the left of ``=`` (``x = 5``,
  ``(p, q) = (3, 2)``, ``a_{37} = 19``, ``V_1:V_2 = 11:21``, ``f(x) = 1``; a chain ``x = 5 + 6 =
  11`` names its last value), with the equation it also is (or None);
- ``("matrix", rows)`` (``pmatrix`` and kin, also in parentheses), ``("ratio", (a, b))``,
  ``("text", words)`` (``odd``, ``Evelyn``), ``("letter", C)`` for ``(C)``.

``a \\approx b`` commits to ``b`` after a name and to ``a`` otherwise. Sums whose bounds have
letters are opaque names (:mod:`.expressions`); :func:`value_at` reads an answer again with
such letters set to integers, so that :mod:`.exact` can tell two sums apart.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import lru_cache

from .expressions import poly, poly_at
from .intervals import absolute, bound, chain, end_value, real_set
from .polynomials import MAX_CHARS, MAX_ITEMS, Refused, poly_add, poly_inverse, poly_mul
from .structures import MATRIX

_REL = re.compile(r"\\(?:geq?|leq?|neq?|lt|gt)(?![A-Za-z])|>=|<=|!=|≥|≤|≠|<|>")
_REL_NAME = {
    "\\ge": ">=", "\\geq": ">=", ">=": ">=", "≥": ">=", "\\le": "<=", "\\leq": "<=", "<=": "<=",
    "≤": "<=", "\\ne": "!=", "\\neq": "!=", "!=": "!=", "≠": "!=", "<": "<", ">": ">",
    "\\lt": "<", "\\gt": ">",
}  # fmt: skip
_FLIP = {">=": "<=", "<=": ">=", "<": ">", ">": "<", "!=": "!="}
_WORDS = re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]|\(?[A-Za-z]\)?")
_LONG_WORD = re.compile(r"[A-Za-z]{3}")
_RATIO = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")
_MEMBER = re.compile(r"[A-Za-z]\s*\\in\s+")  # "x \in [-2, 7]" is the interval
_NAME = r"[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?"  # "x", "AB", "a_{37}", "S_{MBCN}"
# What may stand left of "=" as the name of the value on its right ("x", "(p, q)", "f(x)",
# "|AB|", "V_1:V_2", "\frac{NO}{BO}"): such an answer commits to that value.
_NAMES = re.compile(
    rf"\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\)|{_NAME}(?:\s*:\s*{_NAME})?|\|{_NAME}\|"
    rf"|[A-Za-z]\([A-Za-z]\)|\\frac\{{{_NAME}\}}\{{{_NAME}\}}"
)
_UNNAMED = re.compile(r"[\s{}]")
_AND = re.compile(r"\s+and\s+")
_COMMA_AND = re.compile(r",\s*and\s+")


def _split_top(s: str, sep: str = ",") -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and s[i + 1 : i + 2] in ("{", "}"):
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(s[start:i])
            start = i + 1
        i += 1
    parts.append(s[start:])
    return [p.strip() for p in parts]


def _balanced(s: str) -> bool:
    """``s`` (its first and last character removed) is one bracketed group, not ``(a),(b)``."""
    depth = 0
    for ch in s[:-1]:
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if depth == 0:
            return False
    return True


def _equation(lhs: str, rhs: str) -> tuple:
    """lhs - rhs, divided by the coefficient of its first term when that is one term."""
    d = poly_add(dict(_poly_items(lhs)), dict(_poly_items(rhs)), -1)
    if not d:
        return ("eq", ())
    lead = max(m[2] for m in d)
    coeff = {(m[0], m[1], ()): c for m, c in d.items() if m[2] == lead}
    scaled = poly_mul(d, poly_inverse(coeff))
    return ("eq", tuple(sorted(scaled.items())))


# Integer values for some letters while a sum is read at a few points (see _instances).
_ENV: ContextVar[dict[str, int] | None] = ContextVar("exact_env", default=None)


def _poly(s: str) -> tuple:
    env = _ENV.get()
    return poly(s) if env is None else poly_at(s, env)


def _poly_items(s: str) -> tuple:
    p = _poly(s)
    if p and p[0] == "inf":
        raise Refused("infinity")
    return p


def _variable(s: str) -> str:
    """The variable a bound is on: a letter, or ``f(x)`` (``0 < f(x) < 1`` is f's range)."""
    if not re.fullmatch(r"[A-Za-z]|[A-Za-z]\([A-Za-z]\)", s) or s in "eEiI":
        raise Refused("not a one-variable bound")
    return s


def _relation(s: str) -> tuple:
    """A one-variable bound: ``("reals", x, set)`` when its ends are constants (see
    :mod:`.intervals`), else ``("rel", x, op, bound)``."""
    ops = [_REL_NAME[o] for o in _REL.findall(s)]
    parts = [p.strip() for p in _REL.split(s)]
    if len(ops) == 2 and len(parts) == 3:  # "-2 \le x < 7", "7 > x \geq -2"
        if ops[0] in (">", ">=") and ops[1] in (">", ">="):
            parts, ops = parts[::-1], [_FLIP[ops[1]], _FLIP[ops[0]]]
        if not (ops[0] in ("<", "<=") and ops[1] in ("<", "<=")):
            raise Refused("not an interval")
        x = parts[1]
        if x.startswith("|") and x.endswith("|"):  # "1 \\le |z| \\le 2"
            x = x[1:-1].strip()
        pieces = real_set(chain(_poly_items(parts[0]), ops[0], ops[1], _poly_items(parts[2])))
        if pieces is not None and x != parts[1]:
            pieces = absolute(pieces)
        if pieces is None:
            raise Refused("ends not ordered")
        return ("reals", _variable(x), pieces)
    if len(ops) != 1 or len(parts) != 2:
        raise Refused("not one relation")
    op, (lhs, rhs) = ops[0], parts
    if re.fullmatch(r"[A-Za-z]", rhs) and not re.fullmatch(r"[A-Za-z]", lhs):
        lhs, rhs, op = rhs, lhs, _FLIP[op]
    if not re.fullmatch(r"[A-Za-z]|[A-Za-z]\([A-Za-z]\)", lhs):
        lhs, op, value = _solved(lhs, op, rhs)  # "-x > -1" is "x < 1"
    else:
        value = _poly_items(rhs)
    pieces = real_set(bound(op, value)) if end_value(value) is not None else None
    if pieces is not None:
        return ("reals", _variable(lhs), pieces)
    return ("rel", _variable(lhs), op, value)


def _solved(lhs: str, op: str, rhs: str) -> tuple[str, str, tuple]:
    """``a x + b op c`` (a, b, c constants, a one term) as ``x op' (c - b) / a``."""
    d = poly_add(dict(_poly_items(lhs)), dict(_poly_items(rhs)), -1)
    names = {v for m in d for v, _ in m[2]}
    if len(names) != 1 or any(m[2] not in ((), ((x, 1),)) for m in d for x in names):
        raise Refused("not linear in one variable")
    (x,) = names
    a = {(m[0], m[1], ()): c for m, c in d.items() if m[2]}
    sign = end_value(tuple(a.items()))
    if not sign:
        raise Refused("no sign")
    value = poly_mul(poly_add({}, {m: c for m, c in d.items() if not m[2]}, -1), poly_inverse(a))
    return x, (_FLIP[op] if sign < 0 else op), tuple(sorted(value.items()))


def _named(lhs: str, rhs: str, depth: int) -> tuple:
    """``("named", name, value, equation or None)``: "(p, q) = (3, 2)", "D = (0, 1)",
    "V_1:V_2 = 11:21" commit to the value; the equation serves against another equation."""
    try:
        eq = _equation(lhs, rhs)
    except (Refused, ValueError, ZeroDivisionError):
        eq = None
    return ("named", _UNNAMED.sub("", lhs), _value(rhs, depth + 1), eq)


def _value(s: str, depth: int = 0) -> tuple:
    """The canonical value of one answer (see the module docstring); raises Refused."""
    s = s.strip()
    if depth > 4 or not s or len(s) > MAX_CHARS:
        raise Refused("empty, too long or too deep")
    if s.startswith("and "):
        s = s[4:].strip()
    if "\\approx" in s:  # "x \\approx 11" commits to 11, "\\frac{1}{3} \\approx 0.33" to 1/3
        parts = s.split("\\approx")
        s = parts[-1] if len(parts) == 2 and _NAMES.fullmatch(parts[0].strip()) else parts[0]
    m = _MEMBER.match(s)
    if m:
        s = s[m.end() :]
    if "=" in s and not _REL.search(s):
        sides = _split_top(s, "=")  # not the "=" of "\\sum_{k=0}"
        if _NAMES.fullmatch(sides[0]) and (len(sides) == 2 or "," not in s):
            # "x = 5 + 5 + 1 = 11": a chain of equal values commits to the last one
            return _named(sides[0], sides[-1], depth)
    if s.startswith("(") and s.endswith(")") and MATRIX.fullmatch(s[1:-1].strip()):
        s = s[1:-1].strip()  # "(\\begin{pmatrix}...\\end{pmatrix})"
    m = MATRIX.fullmatch(s)
    if m:
        rows = [r.strip() for r in m.group(2).split("\\\\")]
        rows = [r for r in rows if r]
        cells = tuple(tuple(_poly_items(c.strip()) for c in r.split("&")) for r in rows)
        if len({len(r) for r in cells}) != 1:
            raise Refused("ragged matrix")
        return ("matrix", cells)
    if "\\begin" in s or "\\end" in s:
        raise Refused("environment")
    if "\\cup" in s:
        pieces = [_value(p, depth + 1) for p in s.split("\\cup")]
        if any(p[0] not in ("interval", "tuple", "set") for p in pieces):
            raise Refused("union of non-intervals")
        union = ("union", tuple(sorted(pieces, key=repr)))
        reals = as_reals(union)
        return union if reals is None else ("reals", None, reals[1])
    if s.startswith("\\{") and s.endswith("\\}") and _balanced(s[1:-1]):
        return _collection(_split_top(s[2:-2]), depth)
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _balanced(s):
        items = _split_top(s[1:-1])
        if len(items) == 1:
            items = _split_top(s[1:-1], ";")  # "(0; -2; 6)"
        if len(items) > 1:
            parsed = tuple(_value(x, depth + 1) for x in items)
            if len(parsed) > MAX_ITEMS:
                raise Refused("too many items")
            if s[0] == "(" and s[-1] == ")":
                return ("tuple", parsed)
            if s[0] == "[" and s[-1] == "]" and len(parsed) > 2:
                return ("bracket list", parsed)  # "[1, 2, 3]": ordered or not, we cannot tell
            if len(parsed) != 2:
                raise Refused("an interval has two ends")
            return ("interval", s[0] + s[-1], parsed)
    if s.startswith("{") and s.endswith("}") and _balanced(s) and len(_split_top(s[1:-1])) > 1:
        return _collection(_split_top(s[1:-1]), depth)  # "{1, 2, 3}" is a set
    # A list: split at its coarsest separator first ("p=5, q=2; p=7, q=2" is two pairs).
    items = _split_top(s, ";")
    if len(items) == 1:
        items = _split_top(_AND.sub("\x1f", _COMMA_AND.sub(", ", s)), "\x1f")
    if len(items) == 1:
        items = _split_top(s)
    if len(items) > 1:
        return _collection(items, depth)
    if "\\pm" in s or "\\mp" in s:
        parts = re.split(r"\\pm|\\mp", s)
        if len(parts) != 2 or "\\mp" in s:
            raise Refused("one \\pm only")
        a = dict(_poly_items(parts[0])) if parts[0].strip() else {}
        b = dict(_poly_items(parts[1]))
        plus, minus = (tuple(sorted(poly_add(a, b, k).items())) for k in (1, -1))
        return ("set", tuple(sorted({("num", plus), ("num", minus)}, key=repr)))
    if "=" in s and not _REL.search(s):
        sides = _split_top(s, "=")
        if len(sides) > 2:
            raise Refused("several equals signs")
        if len(sides) == 2:
            return _equation(*sides)
    if _REL.search(s):
        return _relation(s)
    m = _RATIO.fullmatch(s)
    if m:
        if int(m.group(2)) == 0:
            raise Refused("x:0 is a time, not a ratio")
        return ("ratio", (int(m.group(1)), int(m.group(2))))
    if not any(c.isdigit() or c in "\\^_{}+*/=" for c in s) and _WORDS.fullmatch(s):
        word = s.strip("()").strip()
        if _LONG_WORD.search(word):  # "odd", "Evelyn"; "xy" stays a product
            return ("text", " ".join(word.lower().split()))
        if len(word) == 1 and s.startswith("("):
            return ("letter", word)  # "(C)": a choice, not a variable
    return ("num", _poly(s))


def _collection(items: list[str], depth: int) -> tuple:
    """A set or a bare list (the same thing here: order ignored)."""
    if len(items) > MAX_ITEMS:
        raise Refused("too many items")
    values = []
    for x in items:
        v = _value(x, depth + 1)
        values.extend(v[1] if v[0] == "set" and "\\pm" in x else [v])
    return ("set", tuple(sorted(set(values), key=repr)))  # a set: "(1, 2), (1, 2)" is one pair


@lru_cache(maxsize=8192)
def canonical(s: str) -> tuple | None:
    """The canonical value of a normalised answer, or None if it is refused (cached: gold
    answers are reused across the samples of a prompt)."""
    try:
        return _value(s)
    except (Refused, ValueError, ZeroDivisionError, OverflowError, RecursionError, IndexError):
        return None


def as_reals(v: tuple) -> tuple | None:
    """(variable or None, canonical set of reals) of a bound, an interval, a pair read as an
    open interval, or a union of those (:mod:`.intervals`); None for anything else."""
    if v[0] == "reals":
        return v[1], v[2]
    if v[0] in ("interval", "tuple") and len(v[-1]) == 2 and all(x[0] == "num" for x in v[-1]):
        (_, lo), (_, hi) = v[-1]
        brackets = v[1] if v[0] == "interval" else "()"
        pieces = real_set([(lo, brackets[0] == "[", hi, brackets[1] == "]")])
        return None if pieces is None else (None, pieces)
    if v[0] == "union":
        parts = [as_reals(p) for p in v[1]]
        if any(p is None for p in parts):
            return None
        pieces = real_set([piece for p in parts for piece in p[1]])  # type: ignore[index]
        return None if pieces is None else (None, pieces)
    return None


def value_at(s: str, env: dict[str, int]) -> tuple | None:
    """The canonical value of ``s`` with the letters in ``env`` set to its integers (not
    cached); None if refused."""
    token = _ENV.set(env)
    try:
        return _value(s)
    except (Refused, ValueError, ZeroDivisionError, OverflowError, RecursionError, IndexError):
        return None
    finally:
        _ENV.reset(token)
