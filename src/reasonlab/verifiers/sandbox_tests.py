"""The tests' side of the code judge (:mod:`.sandbox`): what runs in the sandbox, what stays out.

:func:`compile_tests` turns ``assert`` lines into sandbox steps; for ``assert f(x) == <literal>``
only ``f(x)`` is sent to the sandbox and the literal stays in the verifier's process, where
:func:`decode` rebuilds the sandbox's tagged result with exact types to compare it.
:func:`extract_code` finds the program in a completion.
"""

from __future__ import annotations

import ast
import re
from typing import Any

_FENCE = re.compile(r"```(?:python|py|Python)?[ \t]*\n(.*?)```", re.DOTALL)


def _literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def compile_tests(tests: str | list[str]) -> list[dict[str, Any]]:
    """Turn tests into sandbox steps; ``expected`` values stay here, never in the sandbox.

    Args:
        tests: a block of code (each top-level ``assert`` is one test; other statements are
            setup steps that must not fail) or a list of test strings (one test each).

    Returns:
        Steps ``{"kind": "value"|"stmt", "src", "name", "expected"?}`` in order.

    Raises:
        ValueError: if ``tests`` is not a str or list of str, or does not parse.
    """
    if isinstance(tests, str):
        chunks = [tests]
    elif isinstance(tests, list) and all(isinstance(t, str) for t in tests) and tests:
        chunks = tests
    else:
        raise ValueError(f"tests must be a str or a non-empty list of str, got {tests!r:.80}")
    steps: list[dict[str, Any]] = []
    for chunk in chunks:
        try:
            module = ast.parse(chunk)
        except SyntaxError as err:
            raise ValueError(f"test does not parse: {chunk!r:.80} ({err.msg})") from None
        body = module.body if isinstance(tests, str) else [module]
        for node in body:
            src = ast.unparse(node)
            if isinstance(node, ast.Module):
                one = node.body[0] if len(node.body) == 1 else None
            else:
                one = node
            name = f"test_{sum(s['kind'] != 'setup' for s in steps)}"
            if isinstance(one, ast.Assert) and isinstance(one.test, ast.Compare):
                cmp = one.test
                if len(cmp.ops) == 1 and isinstance(cmp.ops[0], ast.Eq):
                    left, right = cmp.left, cmp.comparators[0]
                    for computed, literal in ((left, right), (right, left)):
                        ok, value = _literal(literal)
                        if ok and not _literal(computed)[0]:
                            steps.append(
                                {"kind": "value", "src": ast.unparse(computed), "name": name,
                                 "expected": value, "source": src}
                            )  # fmt: skip
                            break
                    else:
                        steps.append({"kind": "stmt", "src": src, "name": name, "source": src})
                    continue
            is_test = isinstance(one, ast.Assert) or not isinstance(tests, str)
            kind = "stmt" if is_test else "setup"
            steps.append({"kind": kind, "src": src, "name": name if is_test else "setup",
                          "source": src})  # fmt: skip
    if not steps:
        raise ValueError("tests contain no statements")
    return steps


def decode(tagged: Any) -> Any:
    tag = tagged[0]
    if tag == "none":
        return None
    if tag == "bool":
        return bool(tagged[1])
    if tag == "int":
        return int(tagged[1], 16)
    if tag == "float":
        return float.fromhex(tagged[1])
    if tag == "complex":
        return complex(float.fromhex(tagged[1]), float.fromhex(tagged[2]))
    if tag == "str":
        return str(tagged[1])
    if tag == "bytes":
        return bytes.fromhex(tagged[1])
    if tag in ("list", "tuple", "set", "frozenset"):
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](
            decode(x) for x in tagged[1]
        )
    if tag == "dict":
        return {decode(k): decode(v) for k, v in tagged[1]}
    raise ValueError(f"unknown tag {tag!r}")


def extract_code(text: str) -> tuple[str, bool]:
    """The program in a completion: the last fenced ```python block if any, else the text."""
    if "```" in text:
        blocks = _FENCE.findall(text)
        if blocks:
            return blocks[-1], True
    return text, False
