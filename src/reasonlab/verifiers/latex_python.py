"""From an answer's LaTeX to Python source the sympy worker can rebuild safely, and the guard
that refuses what could run too long (step 1 of :mod:`reasonlab.verifiers.symbolic`).

:func:`to_source` turns normalised LaTeX into Python expression source (``\\frac{a}{b}`` to
``(a)/(b)``, functions and constants to sympy's names in :data:`FUNCS` and :data:`CONSTS`, implicit
products made explicit); :func:`check_source` refuses any AST node outside a whitelist and any
power or factorial whose size, estimated bottom-up in floating point, is huge;
:mod:`.structures` reads the answer's shape around these expressions. Every refusal is a
:class:`RefusedError` with the reason.
"""

from __future__ import annotations

import ast
import math

MAX_NODES = 400
MAX_DEPTH = 60
MAX_POWER_DIGITS = 5_000
MAX_SYMBOLIC_EXP = 200

FUNCS = {
    "sqrt", "root", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan",
    "log", "exp", "Abs", "factorial", "binomial",
}  # fmt: skip
CONSTS = {"pi", "E", "oo", "I"}
_LATEX_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "ln": "log", "log": "log", "exp": "exp",
}  # fmt: skip
_LATEX_SYMBOLS = {
    "pi": " pi ", "infty": " oo ", "cdot": "*", "times": "*", "div": "/", "ast": "*",
    "alpha": " alpha ", "beta": " beta ", "theta": " theta ", "gamma": " gamma ",
}  # fmt: skip


class RefusedError(ValueError):
    """The answer is not something we will hand to sympy (too big, unsupported syntax)."""


# ----------------------------------------------------------------------------- LaTeX -> Python


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at s[i] (a {...} group or one character) and the index after it."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise RefusedError("missing argument")
    if s[i] != "{":
        if s[i] == "\\":
            j = i + 1
            while j < len(s) and s[j].isalpha():
                j += 1
            return s[i:j], j
        return s[i], i + 1
    return _closed(s, i, "{}", "unbalanced braces")


def _closed(s: str, i: int, pair: str, unbalanced: str) -> tuple[str, int]:
    """The text inside the bracket that opens at s[i] (``pair`` is its two characters, "{}" or
    "()") and the index after its closing bracket."""
    depth = 0
    for j in range(i, len(s)):
        depth += 1 if s[j] == pair[0] else -1 if s[j] == pair[1] else 0
        if depth == 0:
            return s[i + 1 : j], j + 1
    raise RefusedError(unbalanced)


def _func_arg(s: str, i: int) -> tuple[str, int]:
    """A function's argument: (...), {...}, a number, a letter or a command."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i < len(s) and s[i] == "(":
        return _closed(s, i, "()", "unbalanced parentheses")
    if i < len(s) and s[i].isdigit():
        j = i
        while j < len(s) and (s[j].isdigit() or s[j] == "."):
            j += 1
        return s[i:j], j
    return _group(s, i)


def latex_to_python(s: str, depth: int = 0) -> str:
    """Turn a normalised LaTeX/plain answer into Python expression source (not yet checked)."""
    if depth > MAX_DEPTH:
        raise RefusedError("nesting too deep")
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            j = i + 1
            while j < len(s) and s[j].isalpha():
                j += 1
            name = s[i + 1 : j]
            if name == "frac" or name == "binom":
                a, j = _group(s, j)
                b, j = _group(s, j)
                a, b = latex_to_python(a, depth + 1), latex_to_python(b, depth + 1)
                out.append(f"(({a})/({b}))" if name == "frac" else f"binomial({a},{b})")
            elif name == "sqrt":
                k = j
                while k < len(s) and s[k] == " ":
                    k += 1
                if k < len(s) and s[k] == "[":
                    end = s.find("]", k)
                    if end < 0:
                        raise RefusedError("unbalanced [")
                    n = latex_to_python(s[k + 1 : end], depth + 1)
                    a, j = _group(s, end + 1)
                    out.append(f"root({latex_to_python(a, depth + 1)},{n})")
                else:
                    a, j = _group(s, j)
                    out.append(f"sqrt({latex_to_python(a, depth + 1)})")
            elif name in _LATEX_FUNCS:
                # \sin^2 x -> sin(x)**(2); \ln 8 -> log(8); \sin(x+1) -> sin(x+1)
                power = None
                k = j
                while k < len(s) and s[k] == " ":
                    k += 1
                if k < len(s) and s[k] == "^":
                    power, k = _group(s, k + 1)
                arg, j = _func_arg(s, k)
                call = f" {_LATEX_FUNCS[name]}({latex_to_python(arg, depth + 1)})"
                if power is not None:
                    call += f"**({latex_to_python(power, depth + 1)})"
                out.append(call)
            elif name in _LATEX_SYMBOLS:
                out.append(_LATEX_SYMBOLS[name])
            elif name == "" and j < len(s) and s[j] in "{}":
                out.append("(" if s[j] == "{" else ")")
                j += 1
            else:
                raise RefusedError(f"unsupported LaTeX command \\{name}")
            i = j
        elif ch == "^":
            a, i = _group(s, i + 1)
            out.append(f"**({latex_to_python(a, depth + 1)})")
        elif ch in "{[":
            out.append("(")
            i += 1
        elif ch in "}]":
            out.append(")")
            i += 1
        elif ch == "!":
            out.append("!")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _tokens(src: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < len(src) and src[i + 1].isdigit()):
            j = i
            while j < len(src) and (src[j].isdigit() or src[j] == "."):
                j += 1
            tokens.append(src[i:j])
            i = j
        elif ch.isalpha():
            j = i
            while j < len(src) and src[j].isalpha():
                j += 1
            word = src[i:j]
            if word in FUNCS or word in CONSTS or word in ("alpha", "beta", "theta", "gamma"):
                tokens.append(word)
            else:  # "xy" is x*y
                tokens.extend(word)
            i = j
        elif src.startswith("**", i):
            tokens.append("**")
            i += 2
        elif ch in "+-*/(),!":
            tokens.append(ch)
            i += 1
        else:
            raise RefusedError(f"unexpected character {ch!r}")
    return tokens


def _is_atom_end(t: str) -> bool:
    return (
        t[-1] == ")" or t == "!" or t[0].isdigit() or t[0] == "."
        or (t[0].isalpha() and t not in FUNCS)
    )  # fmt: skip


def to_source(answer: str) -> str:
    """Checked Python source for one expression, with implicit products made explicit."""
    tokens = _tokens(latex_to_python(answer))
    out: list[str] = []
    for t in tokens:
        if out and _is_atom_end(out[-1]) and (t == "(" or t[0].isalnum() or t[0] == "."):
            out.append("*")
        if t == "!":
            # n! -> factorial(n): wrap the previous atom or parenthesised group.
            if not out:
                raise RefusedError("factorial of nothing")
            k = len(out) - 1
            if out[k] == ")":
                depth = 0
                while k >= 0:
                    depth += {")": 1, "(": -1}.get(out[k], 0)
                    if depth == 0:
                        break
                    k -= 1
            out[k:] = ["factorial(", *out[k:], ")"]
            continue
        if t[0].isdigit() or t[0] == ".":
            if t.count(".") > 1:
                raise RefusedError(f"bad number {t!r}")
            if "." in t:  # exact: 1.25 -> (125/100)
                whole, frac = t.split(".")
                t = f"({int(whole or '0') * 10 ** len(frac) + int(frac or '0')}/{10 ** len(frac)})"
        out.append(t)
    src = " ".join(out)
    # "sin x" (no parentheses) -> sin(x): only the simple one-atom case.
    for f in FUNCS:
        src = src.replace(f"{f} (", f"{f}(")
    check_source(src)
    return src


# ----------------------------------------------------------------------------- the guard


def _estimate(node: ast.AST, depth: int = 0) -> float | None:
    """Rough |value| of a numeric subtree (None if it has symbols); refuses huge powers."""
    if depth > MAX_DEPTH:
        raise RefusedError("nesting too deep")
    if isinstance(node, ast.Expression):
        return _estimate(node.body, depth + 1)
    if isinstance(node, ast.Constant):
        if type(node.value) is not int:
            raise RefusedError("only integer literals")
        return float(node.value) if node.value.bit_length() < 1000 else math.inf
    if isinstance(node, ast.Name):
        if node.id not in CONSTS and not (node.id.isalpha() and len(node.id) <= 5):
            raise RefusedError(f"unsupported name {node.id!r}")
        return {"pi": math.pi, "E": math.e, "I": 1.0}.get(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _estimate(node.operand, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _estimate(node.left, depth + 1), _estimate(node.right, depth + 1)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div):
            return a / b if b else math.inf
        return abs(a) + abs(b)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exp = _estimate(node.left, depth + 1), _estimate(node.right, depth + 1)
        if exp is None:
            return None
        if math.isinf(exp) or abs(exp) > 1e6:
            raise RefusedError("exponent too large")
        if base is None:
            if abs(exp) > MAX_SYMBOLIC_EXP:
                raise RefusedError("symbolic power too large")
            return None
        digits = abs(exp) * math.log10(max(abs(base), 2.0))
        if digits > MAX_POWER_DIGITS:
            raise RefusedError("power too large")
        return 10.0**digits if digits < 300 else math.inf
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCS) or node.keywords:
            raise RefusedError("unsupported call")
        args = [_estimate(a, depth + 1) for a in node.args]
        if node.func.id in ("factorial", "binomial"):
            if any(a is None or a > 1000 for a in args):
                raise RefusedError("factorial too large")
            return math.inf
        if node.func.id == "exp" and args and args[0] is not None and abs(args[0]) > 10_000:
            raise RefusedError("exp too large")
        return None if any(a is None for a in args) else 1.0
    raise RefusedError(f"unsupported syntax {type(node).__name__}")


def check_source(src: str) -> None:
    """Raise :class:`RefusedError` unless ``src`` is a small, whitelisted, bounded expression."""
    if len(src) > 4 * MAX_NODES:
        raise RefusedError("expression too long")
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise RefusedError(f"not an expression ({type(err).__name__})") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise RefusedError("expression too large")
    _estimate(tree)
