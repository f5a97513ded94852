"""The symbolic-equivalence worker: a separate process that owns sympy.

Run as ``python -c <this file's source>`` by :mod:`reasonlab.verifiers.symbolic`, which kills it
when a comparison overruns its time limit (no thread can interrupt sympy; a process can be killed).
It reads one JSON request per line on stdin and writes one JSON reply per line on stdout; it
exits when stdin closes, so it never outlives its parent.

Expressions arrive as Python source already checked by the parent (a whitelist of node types,
no huge exponents); they are rebuilt here node by node from :mod:`ast`, never ``eval``-ed.

When our own comparison cannot decide, or finds the answers different, the request may also carry
the two answers as LaTeX text; they then get a second opinion from math-verify's parser and
grader (``math_verify.parse`` / ``verify``: matrices, relations, ``\\pm``, unions, ratios,
text answers, ...), run here with its own ``signal.alarm`` timeouts switched off, because this
process is the one the parent kills at the deadline. math-verify is imported (and its LaTeX
parser warmed up) before the worker says it is ready, so that cost is start-up, not comparison.
"""

import ast
import json
import random
import sys

import sympy

FUNCS = {
    "sqrt": sympy.sqrt,
    "root": sympy.root,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "cot": sympy.cot,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "log": sympy.log,
    "exp": sympy.exp,
    "Abs": sympy.Abs,
    "factorial": sympy.factorial,
    "binomial": sympy.binomial,
}
CONSTS = {"pi": sympy.pi, "E": sympy.E, "oo": sympy.oo, "I": sympy.I}
OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
REL_TOL = 1e-9  # float noise only: "1.414" is not "sqrt(2)"


def build(node):
    """A sympy object from a whitelisted ast node."""
    if isinstance(node, ast.Expression):
        return build(node.body)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sympy.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in CONSTS:
            return CONSTS[node.id]
        return sympy.Symbol(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        return OPS[type(node.op)](build(node.left), build(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = build(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCS:
        return FUNCS[node.func.id](*[build(a) for a in node.args])
    raise ValueError(f"unsupported node {type(node).__name__}")


def expr(src):
    return build(ast.parse(src, mode="eval"))


def numeric_close(x, y):
    """x == y up to float noise at a few random points (signed, so |x| is not x)."""
    diff = x - y
    symbols = sorted(diff.free_symbols, key=str)
    rng = random.Random(0)
    for i in range(4 if symbols else 1):
        point = {  # signs alternate across points and symbols
            s: sympy.Rational((-1) ** (i + j) * rng.randint(1, 97), rng.randint(1, 13))
            for j, s in enumerate(symbols)
        }
        d = complex(diff.evalf(30, subs=point))
        scale = max(1.0, abs(complex(x.evalf(30, subs=point))))
        if not abs(d) <= REL_TOL * scale:
            return False
    return True


def equal_expr(x, y):
    """Equal as expressions? Identity and exact numbers first, then evaluation at random points
    (polynomial identity testing: two different expressions agreeing at four random points to
    nine digits is vanishingly unlikely), and sympy's simplify only when evaluation fails."""
    if x == y:
        return True, "identical"
    if x.has(sympy.oo, -sympy.oo, sympy.zoo) or y.has(sympy.oo, -sympy.oo, sympy.zoo):
        return bool(x == y), "infinite"
    diff = x - y
    if not diff.free_symbols and diff.is_Rational:
        return diff == 0, "exact"  # big integers and fractions: no tolerance at all
    try:
        close = numeric_close(x, y)
    except (TypeError, ValueError, ArithmeticError):
        close = None
    if close is not None:
        return close, "numerically equal" if close else "numerically different"
    if sympy.expand(diff) == 0 or sympy.simplify(diff) == 0:
        return True, "symbolically equal"
    return False, "not equal"


def equal(a, b):
    """Compare two answer structures (see structures.parse_structure for the shapes)."""
    ta, tb = a["type"], b["type"]
    if ta == tb == "named":
        if a["name"] != b["name"]:
            return False, "different names"
        return equal(a["value"], b["value"])
    if ta == tb == "matrix":
        if [len(r) for r in a["rows"]] != [len(r) for r in b["rows"]]:
            return False, "matrix shapes differ"
        for x, y in zip(sum(a["rows"], []), sum(b["rows"], []), strict=True):
            ok, how = equal(x, y)
            if not ok:
                return False, "cell differs: " + how
        return True, "matrix equal"
    if ta == "expr" and tb == "expr":
        return equal_expr(expr(a["src"]), expr(b["src"]))
    if {ta, tb} == {"tuple", "interval"}:
        t, i = (a, b) if ta == "tuple" else (b, a)
        if not (i["left_open"] and i["right_open"]) or len(t["items"]) != 2:
            return False, "tuple vs closed interval"
        return equal({"type": "tuple", "items": t["items"]}, {"type": "tuple", "items": i["items"]})
    if ta != tb:
        return False, f"{ta} vs {tb}"
    if ta == "eq":
        da = expr(a["lhs"]) - expr(a["rhs"])
        db = expr(b["lhs"]) - expr(b["rhs"])
        ok, how = equal_expr(da, db)
        if not ok:
            ok, how = equal_expr(da, -db)
        return ok, "equation " + how
    if ta == "interval" and (a["left_open"], a["right_open"]) != (b["left_open"], b["right_open"]):
        return False, "interval ends differ"
    if len(a["items"]) != len(b["items"]):
        return False, "different number of items"
    if ta in ("tuple", "interval"):
        for x, y in zip(a["items"], b["items"], strict=True):
            ok, how = equal(x, y)
            if not ok:
                return False, "item differs: " + how
        return True, f"{ta} equal"
    # set / unordered list: a perfect matching, greedily (items are distinct values in practice)
    left = list(b["items"])
    for x in a["items"]:
        for j, y in enumerate(left):
            if equal(x, y)[0]:
                del left[j]
                break
        else:
            return False, "item without a match"
    return True, f"{ta} equal (order ignored)"


def load_math_verify():
    """(parse, verify) from math-verify, warmed up, with its own timeouts off; or the reason it
    cannot be used, as a string (not installed, or its LaTeX parser does not load: Colab may
    pin antlr4 4.9 for omegaconf, where latex2sympy2_extended's parser wants 4.13)."""
    try:
        return _load_math_verify()
    except Exception as err:  # noqa: BLE001 - any failure to load means: no second opinion
        return f"{type(err).__name__}: {err}"[:300]


def _load_math_verify():
    import logging

    from math_verify import LatexExtractionConfig, parse, verify

    logging.disable(logging.WARNING)  # it logs every parse failure
    latex_only = [LatexExtractionConfig()]

    def parse_answer(answer, *, is_gold=False):
        # The prediction is our extracted answer, read as LaTeX only: math-verify's plain
        # "expression" extraction would pick a number out of junk ("7!y8 3ev0" -> 3).
        if is_gold:
            return parse(wrap(answer), parsing_timeout=None)
        return parse(wrap(answer), latex_only, parsing_timeout=None)

    def grade(gold, pred):
        return bool(verify(gold, pred, timeout_seconds=None))

    if not grade(parse_answer("\\frac{1}{2}"), parse_answer("0.5")):
        raise RuntimeError("math-verify's LaTeX parser does not read \\frac{1}{2} (antlr4?)")
    return parse_answer, grade


def wrap(answer):
    """An answer as math-verify expects LaTeX: inside ``$...$`` unless it is delimited already."""
    if "$" in answer or "\\boxed" in answer or "\\(" in answer or "\\[" in answer:
        return answer
    return f"${answer}$"


def _has_float(x):
    return bool(getattr(x, "atoms", None)) and bool(x.atoms(sympy.Float))


def _ratio_constant(x, y):
    """x / y is the same nonzero number at a few random points (equal up to a factor)."""
    symbols = sorted((x - y).free_symbols | x.free_symbols | y.free_symbols, key=str)
    rng = random.Random(1)
    ratio = None
    for i in range(4):
        point = {
            s: sympy.Rational((-1) ** (i + j) * rng.randint(1, 97), rng.randint(1, 13))
            for j, s in enumerate(symbols)
        }
        den = complex(y.evalf(30, subs=point))
        if abs(den) < 1e-12:
            return None
        r = complex(x.evalf(30, subs=point)) / den
        if ratio is None:
            ratio = r
        elif abs(r - ratio) > REL_TOL * max(1.0, abs(ratio)):
            return None
    return ratio if ratio is not None and abs(ratio) > 1e-12 else None


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def fast_equal(x, y):
    """Compare two parsed answers quickly: True, False, or None (ask math-verify's grader)."""
    try:
        return _fast_equal(x, y)
    except Exception:  # noqa: BLE001 - shapes this does not know: leave them to the grader
        return None


_UNDEFINED = (sympy.zoo, sympy.nan)
# Slow to evaluate at a point (a symbolic bound): left to the grader.
_UNEVALUATED = (sympy.Sum, sympy.Product, sympy.Integral, sympy.Limit, sympy.Derivative)


def _fast_equal(x, y):
    if isinstance(x, sympy.Basic) and isinstance(y, sympy.Basic):
        if x.has(*_UNDEFINED) or y.has(*_UNDEFINED):
            return None  # "12:00" is 12/0: never equal by our reading, ask the grader
        if x == y or str(x) == str(y):
            return True  # identical (same names print the same even if built differently)
        if x.has(*_UNEVALUATED) or y.has(*_UNEVALUATED):
            return None
    if isinstance(x, str) or isinstance(y, str):
        if isinstance(x, str) and isinstance(y, str):
            same = " ".join(x.lower().split()) == " ".join(y.lower().split())
            return True if same else None
        return None
    if isinstance(x, sympy.MatrixBase) or isinstance(y, sympy.MatrixBase):
        if not (isinstance(x, sympy.MatrixBase) and isinstance(y, sympy.MatrixBase)):
            return None
        if x.shape != y.shape:
            return False
        verdicts = [fast_equal(a, b) for a, b in zip(x, y, strict=True)]
        return True if all(v is True for v in verdicts) else (False if False in verdicts else None)
    if isinstance(x, sympy.Interval) and isinstance(y, sympy.Interval):
        if (x.left_open, x.right_open) != (y.left_open, y.right_open):
            return False
        ends = [fast_equal(x.start, y.start), fast_equal(x.end, y.end)]
        return True if ends == [True, True] else (False if False in ends else None)
    if isinstance(x, (sympy.Union, sympy.FiniteSet, sympy.Tuple)) and type(x) is type(y):
        if len(x.args) != len(y.args):
            return None
        if isinstance(x, sympy.Tuple):
            verdicts = [fast_equal(a, b) for a, b in zip(x.args, y.args, strict=True)]
            return True if all(v is True for v in verdicts) else None
        left = list(y.args)
        for a in x.args:
            for j, b in enumerate(left):
                if fast_equal(a, b) is True:
                    del left[j]
                    break
            else:
                return None
        return True
    if isinstance(x, sympy.Eq) and isinstance(y, sympy.Eq):
        return True if _ratio_constant(x.lhs - x.rhs, y.lhs - y.rhs) is not None else None
    if isinstance(x, sympy.core.relational.Relational) and isinstance(
        y, sympy.core.relational.Relational
    ):
        ops = {x.rel_op, y.rel_op}
        if not ops <= set(_FLIP) or len(ops | {_FLIP[o] for o in ops}) != 2:
            return None  # not the same kind of inequality (strict vs not)
        dx = x.lhs - x.rhs if x.rel_op in (">", ">=") else x.rhs - x.lhs
        dy = y.lhs - y.rhs if y.rel_op in (">", ">=") else y.rhs - y.lhs
        ratio = _ratio_constant(dx, dy)
        return True if ratio is not None and ratio.real > 0 and abs(ratio.imag) < 1e-12 else None
    if isinstance(x, sympy.Expr) and isinstance(y, sympy.Expr):
        try:
            ok, _ = equal_expr(x, y)
        except (TypeError, ValueError, ArithmeticError):
            return None
        if ok:
            return True
        return None if (_has_float(x) or _has_float(y)) else False
    return None


def _settled(request, ours):
    """Our "different" between two single expressions written without decimals needs no second
    opinion (exact values, or different at random points: math-verify's grader agrees)."""
    if ours is not False or request["a"]["type"] != "expr" or request["b"]["type"] != "expr":
        return False
    return "." not in request["latex"][1] and "." not in request["latex"][0]


def handle(request, math_verify):
    """One comparison: ours first; when ours is not a yes, the answers as LaTeX, parsed by
    math-verify's parser and compared by :func:`fast_equal`, then by math-verify's grader."""
    ours, how = None, "refused"
    if request.get("a") is not None and request.get("b") is not None:
        try:
            ours, how = equal(request["a"], request["b"])
        except Exception as err:  # noqa: BLE001 - any sympy failure is a verdict, not a crash
            ours, how = None, f"sympy error: {type(err).__name__}: {err}"[:300]
    if ours or math_verify is None or not request.get("latex") or _settled(request, ours):
        return {"equal": bool(ours), "how": how, "decided": ours is not None}
    parse_answer, grade = math_verify
    try:
        gold = parse_answer(request["latex"][0], is_gold=True)
        pred = parse_answer(request["latex"][1])
        if not gold or not pred:
            return {"equal": False, "how": f"{how}; math-verify cannot parse it", "decided": True}
        fast = fast_equal(gold[0], pred[0])
        if fast is not None:
            verdict = (
                "latex parser: equal"
                if fast
                else (how if ours is False else "latex parser: different")
            )
            return {"equal": fast, "how": verdict, "decided": True}
        second = grade(gold, pred)
    except Exception as err:  # noqa: BLE001 - a parser failure is a verdict, not a crash
        return {"equal": False, "how": f"{how}; math-verify error: {type(err).__name__}"[:300],
                "decided": ours is not None}  # fmt: skip
    if not second and ours is False:
        return {"equal": False, "how": how, "decided": True}  # both say different: ours is why
    verdict = "equal" if second else "not equal"
    return {"equal": second, "how": f"math-verify grader: {verdict}", "decided": True}


def main():
    sys.setrecursionlimit(5000)
    math_verify = load_math_verify()
    why_not = math_verify if isinstance(math_verify, str) else None
    if why_not:
        math_verify = None
    hello = {"ready": True, "math_verify": why_not is None, "why_not": why_not}
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        try:
            reply = handle(json.loads(line), math_verify)
        except Exception as err:  # noqa: BLE001 - never die on a request
            reply = {"equal": False, "how": f"worker error: {type(err).__name__}"[:300]}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
