"""Exact comparison in the calling process: the fast path for answers beyond plain numbers.

An answer (already normalised, :mod:`.normalize`) is read into a canonical value, or refused:

- an expression: a polynomial in one-letter variables whose coefficients are sums of
  ``q * sqrt(n) * pi^k`` (``q`` rational, ``n`` a square-free integer, ``k`` an integer). Those
  coefficients have exactly one such form (square roots of distinct square-free integers are
  linearly independent over the rationals, and ``pi`` is transcendental), so two expressions are
  equal iff their canonical forms are equal: a "different" is as exact as an "equal". What
  the expression reader reads is listed in :mod:`.expressions`;
- ``\\pm`` at the top level (``a \\pm b`` is the set ``{a+b, a-b}``), ``\\infty`` as an end;
- tuples ``(a, b)`` (ordered), intervals ``[a, b)``, sets ``\\{a, b\\}`` and bare lists ``a, b``
  (one kind here: order ignored), unions of intervals (equal when the same pieces), matrices
  (``pmatrix`` and kin, cell by cell), equations (``lhs - rhs`` up to a constant factor),
  one-variable relations (``x \\geq 5`` is ``5 \\le x``), ratios ``a:b``, words (``odd``,
  ``(C)``), compared as text.

Everything else (functions, ``e``, ``i``, subscripts, division by a variable, decimals against
irrationals, different shapes on the two sides) is refused, and :func:`exact_equal` returns None:
the caller hands the pair to the symbolic worker. A "different" between two answers that contain
a decimal is also None, because the slow path allows rounding there (``0.6667`` and ``2/3``
written as a long decimal, math-verify's grader's numeric tolerance).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

from .expressions import poly
from .polynomials import MAX_CHARS, MAX_ITEMS, Refused, poly_add, poly_inverse, poly_mul

# ----------------------------------------------------------------------------- structures

_REL = re.compile(r"\\(?:geq?|leq?|neq?)(?![A-Za-z])|>=|<=|!=|≥|≤|≠|<|>")
_REL_NAME = {
    "\\ge": ">=", "\\geq": ">=", ">=": ">=", "≥": ">=", "\\le": "<=", "\\leq": "<=", "<=": "<=",
    "≤": "<=", "\\ne": "!=", "\\neq": "!=", "!=": "!=", "≠": "!=", "<": "<", ">": ">",
}  # fmt: skip
_FLIP = {">=": "<=", "<=": ">=", "<": ">", ">": "<", "!=": "!="}
_MATRIX = re.compile(r"\\begin\{([pbvBV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}", re.S)
_WORDS = re.compile(r"[A-Za-z][A-Za-z' -]*[A-Za-z]|\(?[A-Za-z]\)?")
_LONG_WORD = re.compile(r"[A-Za-z]{3}")
_RATIO = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")
_MEMBER = re.compile(r"[A-Za-z]\s*\\in\s+")  # "x \in [-2, 7]" is the interval
_NAMES = re.compile(r"\(\s*[A-Za-z](?:\s*,\s*[A-Za-z])+\s*\)|[A-Za-z]")
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


def _poly_items(s: str) -> tuple:
    p = poly(s)
    if p and p[0] == "inf":
        raise Refused("infinity")
    return p


def _relation(s: str) -> tuple:
    ops = _REL.findall(s)
    parts = _REL.split(s)
    if len(ops) != 1 or len(parts) != 2:
        raise Refused("not one relation")
    op = _REL_NAME[ops[0]]
    lhs, rhs = parts[0].strip(), parts[1].strip()
    if re.fullmatch(r"[A-Za-z]", rhs) and not re.fullmatch(r"[A-Za-z]", lhs):
        lhs, rhs, op = rhs, lhs, _FLIP[op]
    if not re.fullmatch(r"[A-Za-z]", lhs) or lhs in "eEiI":
        raise Refused("not a one-variable bound")
    return ("rel", lhs, op, _poly_items(rhs))


def _value(s: str, depth: int = 0) -> tuple:
    """The canonical value of one answer (see the module docstring); raises Refused."""
    s = s.strip()
    if depth > 4 or not s or len(s) > MAX_CHARS:
        raise Refused("empty, too long or too deep")
    if s.startswith("and "):
        s = s[4:].strip()
    m = _MEMBER.match(s)
    if m:
        s = s[m.end() :]
    if s.count("=") == 1 and not _REL.search(s):
        lhs, rhs = (x.strip() for x in s.split("="))
        if _NAMES.fullmatch(lhs) and rhs.startswith(("(", "[", "{", "\\{", "\\begin")):
            # "(p, q) = (3, 2)", "D = (0, 1)": a named structure is the structure
            return ("named", lhs.replace(" ", ""), _value(rhs, depth + 1))
    m = _MATRIX.fullmatch(s)
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
        return ("union", tuple(sorted(pieces, key=repr)))
    if s.startswith("\\{") and s.endswith("\\}") and _balanced(s[1:-1]):
        return _collection(_split_top(s[2:-2]), depth)
    if len(s) >= 2 and s[0] in "([" and s[-1] in ")]" and _balanced(s):
        items = _split_top(s[1:-1])
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
        sides = s.split("=")
        if len(sides) != 2:
            raise Refused("several equals signs")
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
    return ("num", poly(s))


def _collection(items: list[str], depth: int) -> tuple:
    """A set or a bare list (the same thing here: order ignored)."""
    if len(items) > MAX_ITEMS:
        raise Refused("too many items")
    values = []
    for x in items:
        v = _value(x, depth + 1)
        values.extend(v[1] if v[0] == "set" and "\\pm" in x else [v])
    return ("set", tuple(sorted(values, key=repr)))


@lru_cache(maxsize=8192)
def canonical(s: str) -> tuple | None:
    """The canonical value of a normalised answer, or None if it is refused (cached: gold
    answers are reused across the samples of a prompt)."""
    try:
        return _value(s)
    except (Refused, ValueError, ZeroDivisionError, OverflowError, RecursionError, IndexError):
        return None


_SPACE = re.compile(r"\s+(?=[^\w])|(?<=[^\w])\s+")


def _squeezed(s: str) -> str:
    return _SPACE.sub("", s)


def _letterish(v: tuple) -> str | None:
    """A one-letter answer (``C``, ``(C)``, a lone variable) as its letter."""
    if v[0] == "letter":
        return v[1]
    if v[0] == "num" and len(v[1]) == 1:
        ((m, c),) = v[1]
        if c == 1 and m[:2] == (1, 0) and len(m[2]) == 1 and m[2][0][1] == 1:
            return m[2][0][0]
    return None


def _float(poly: tuple) -> float | None:
    """The value of a constant canonical polynomial as a float; None if it has variables."""
    if poly and poly[0] == "inf":
        return None
    total = 0.0
    for (rad, pi, powers), c in poly:
        if powers:
            return None
        total += float(c) * math.sqrt(rad) * math.pi**pi
    return total


def _far_apart(a: tuple, b: tuple) -> bool:
    """Two numbers (or tuples / intervals of numbers, item by item) of which some pair differs by
    more than 1e-4 relative: no rounding the slow path allows (its own 1e-9, a long decimal's
    last digit, math-verify's six decimal places) makes them equal."""
    if a[0] != b[0]:
        return False
    if a[0] == "num":
        x, y = _float(a[1]), _float(b[1])
        return x is not None and y is not None and abs(x - y) > 1e-4 * max(1.0, abs(x), abs(y))
    items_a, items_b = a[-1], b[-1]
    if a[0] == "interval" and a[1] != b[1] or len(items_a) != len(items_b):
        return False
    return any(_far_apart(x, y) for x, y in zip(items_a, items_b, strict=True))


def exact_equal(gold: str, pred: str) -> tuple[bool | None, str]:
    """(True / False, how) when both answers are read exactly; (None, why) otherwise."""
    if _squeezed(gold) == _squeezed(pred):
        return True, "same text"
    a, b = canonical(gold), canonical(pred)
    if a is None or b is None:
        return None, "not an exact shape"
    if (a[0] == "named") != (b[0] == "named"):  # "(p, q) = (3, 2)" commits to (3, 2)
        a, b = (a[2] if a[0] == "named" else a), (b[2] if b[0] == "named" else b)
    if a == b:
        return True, f"exact {a[0]}"
    la, lb = _letterish(a), _letterish(b)
    if la is not None and lb is not None:
        if la == lb:
            return True, "same letter"
        if la.lower() == lb.lower():
            return None, "letters differ only in case"
        return False, "different letter"
    kinds = {a[0], b[0]}
    if a[0] != b[0]:
        if kinds <= {"tuple", "interval"}:
            i = a if a[0] == "interval" else b
            t = b if i is a else a
            if i[1] != "()" and len(t[1]) == 2:
                return False, "tuple vs closed interval"
        return None, f"{a[0]} vs {b[0]}"
    if a[0] == "ratio":
        same = Fraction(*a[1]) == Fraction(*b[1])
        return (None, "ratio not in the same terms") if same else (False, "different ratio")
    if a[0] == "union":
        return None, "unions are equal as sets, not only piece by piece"
    if a[0] == "bracket list" and sorted(a[1], key=repr) == sorted(b[1], key=repr):
        return None, "the same items in another order (a list or a set?)"
    if "." in gold or "." in pred:
        if a[0] in ("num", "tuple", "interval") and _far_apart(a, b):
            return False, f"different {a[0]} (beyond any rounding)"
        return None, "different, but decimals may be rounded"
    if a[0] in ("set", "tuple", "bracket list"):
        # A different item is a real difference only when every item is a plain value (not a
        # nested structure, which the slow path compares up to its own conventions).
        if any(x[0] not in ("num", "text", "letter") for x in a[1] + b[1]):
            return None, "nested items"
    if a[0] == "text" and sorted(a[1]) == sorted(b[1]):
        return None, "the same letters in another order (a product?)"
    return False, f"different {a[0]}"
