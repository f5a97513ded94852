"""Each problem to its domain's verifier: math answers, logic puzzles, and every code problem of a
batch in one sandboxed process."""

from __future__ import annotations

from collections.abc import Sequence


def verify_batch(problems: Sequence, completions: Sequence[str], *, timeout: float = 1.0):
    """Verify one completion per problem, running all code problems in one sandboxed process.

    Args:
        problems: the problems, any mix of domains.
        completions: one completion per problem (same order).
        timeout: seconds per check (per batch for code).

    Returns:
        list of ``VerifierResult``, one per completion.
    """
    from ... import verifiers  # imported here: tasks must stay usable without the sandbox loaded

    if len(problems) != len(completions):
        raise ValueError(f"{len(problems)} problems but {len(completions)} completions")
    results: list = [None] * len(problems)
    code_idx = [i for i, p in enumerate(problems) if p.domain == "code"]
    for i, (p, c) in enumerate(zip(problems, completions, strict=True)):
        if p.domain == "math":
            results[i] = verifiers.verify_math(c, p.answer, timeout=timeout)
        elif p.domain == "logic":
            results[i] = verifiers.verify_logic(c, p.spec())
    if code_idx:
        codes = [problems[i].program(completions[i]) for i in code_idx]
        tests = [list(problems[i].tests) for i in code_idx]
        for i, r in zip(
            code_idx, verifiers.verify_code_batch(codes, tests, timeout=timeout), strict=True
        ):
            results[i] = r
    return results


def rewards(problems: Sequence, completions: Sequence[str], **kw) -> list[float]:
    """Verified rewards (0.0 or 1.0) of ``completions``; see :func:`verify_batch`."""
    return [float(r.reward) for r in verify_batch(problems, completions, **kw)]
