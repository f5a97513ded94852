"""The symbolic-equivalence worker: a separate process that owns sympy.

Run as ``python -c <this file's source>`` by :mod:`reasonlab.verifiers.symbolic`, which kills it
when a comparison overruns its time limit (no thread can interrupt sympy; a process can be killed).
It reads one JSON request per line on stdin and writes one JSON reply per line on stdout; it
exits when stdin closes, so it never outlives its parent.

Expressions arrive as Python source already checked by the parent (a whitelist of node types,
no huge exponents); they are rebuilt here node by node from :mod:`ast`, never ``eval``-ed.
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
    """Compare two answer structures (see symbolic.parse_structure for the shapes)."""
    ta, tb = a["type"], b["type"]
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


def main():
    sys.setrecursionlimit(5000)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            request = json.loads(line)
            ok, how = equal(request["a"], request["b"])
            reply = {"equal": bool(ok), "how": how}
        except Exception as err:  # noqa: BLE001 - any sympy failure is a verdict, not a crash
            reply = {"equal": False, "how": f"sympy error: {type(err).__name__}: {err}"[:300]}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
