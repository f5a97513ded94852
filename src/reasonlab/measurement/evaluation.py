"""Held-out evaluation: pass rate, thinking usage and length, overall and per difficulty.

:func:`evaluate` samples (greedy or at a temperature), verifies, and summarises with the
metric names of :mod:`reasonlab.core.metrics`. :func:`self_check_stats` reads the thinking of math
completions step by step and counts the self-checks and revisions: how often a ``<check>``
runs, whether a ``<wait>`` follows a step that was really wrong (an error caught) or a right one
(a false alarm), and whether the revised step is right. It is the toy's measure of an "aha moment".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..world import tasks
from ..world.tokenizer import CHECK, END_THINK, THINK, WAIT


def evaluate(
    policy,
    problems: Sequence[tasks.Problem],
    *,
    greedy: bool,
    seed: int = 0,
    num_samples: int = 1,
    temperature: float = 1.0,
    max_new_tokens: int | None = None,
    max_think_tokens: int | None = None,
    min_think_tokens: int | None = None,
) -> dict[str, float]:
    """Sample, verify and summarise.

    Args:
        policy: a :class:`reasonlab.world.policy.Policy` (anything with the same ``sample``).
        problems: the problems (held-out ones for a fair score).
        greedy: argmax decoding (then ``num_samples`` identical samples would be pointless, so
            it must be 1); otherwise sample at ``temperature``.
        seed: the sampler's seed.
        num_samples: samples per problem; ``coverage`` is then the share of problems solved at
            least once (an empirical pass@k).
        temperature: sampling temperature when not greedy.
        max_new_tokens, max_think_tokens, min_think_tokens: passed to ``policy.sample``.

    Returns:
        flat dict: ``pass_rate``, ``coverage``, ``reward/mean``, ``think/usage``,
        ``completion/mean_tokens``, ``tokens_per_answer``, ``think/check_rate``,
        ``think/wait_rate``, and ``pass_rate/d<k>``, ``think/usage/d<k>``,
        ``completion/mean_tokens/d<k>`` for every difficulty present.
    """
    if not problems:
        raise ValueError("evaluate needs at least one problem")
    if greedy and num_samples != 1:
        raise ValueError("greedy decoding gives identical samples: use num_samples=1")
    rows, out, rewards = sample_and_verify(
        policy,
        problems,
        num_samples=num_samples,
        seed=seed,
        temperature=0.0 if greedy else temperature,
        max_new_tokens=max_new_tokens,
        max_think_tokens=max_think_tokens,
        min_think_tokens=min_think_tokens,
    )
    return summarize(rows, out.completions, rewards, out.num_tokens, num_samples=num_samples)


def thinks(completion: str) -> bool:
    """Whether a completion thinks first (opens with the thinking marker)."""
    return completion.startswith(THINK)


def sample_and_verify(
    policy, problems: Sequence[tasks.Problem], *, num_samples: int = 1, seed: int = 0, **sample_kw
) -> tuple[list[tasks.Problem], object, list[float]]:
    """The rollout helper: sample ``num_samples`` completions per problem, then verify them.

    Args:
        policy: anything with :meth:`reasonlab.world.policy.Policy.sample`.
        problems: N problems.
        num_samples, seed: passed to ``policy.sample``, with ``sample_kw``.

    Returns:
        (rows, out, rewards): the N*S problems in prompt-major order (each repeated S times), the
        :class:`~reasonlab.world.policy.SampleOutput`, and the N*S verified rewards (0.0 or 1.0).
    """
    out = policy.sample(
        [p.prompt for p in problems], num_samples=num_samples, seed=seed, **sample_kw
    )
    rows = [p for p in problems for _ in range(num_samples)]
    return rows, out, tasks.rewards(rows, out.completions)


def summarize(
    rows: Sequence[tasks.Problem],
    completions: Sequence[str],
    rewards: Sequence[float],
    num_tokens: Sequence[int],
    *,
    num_samples: int = 1,
) -> dict[str, float]:
    """The metrics of :func:`evaluate` from already verified samples (prompt-major rows)."""
    n = len(rows)
    thinking = [thinks(c) for c in completions]

    def mean(xs) -> float:
        xs = list(xs)
        return float(sum(xs) / len(xs)) if xs else float("nan")

    solved = [max(rewards[i : i + num_samples]) > 0 for i in range(0, n, num_samples)]
    m = {
        "pass_rate": mean(r > 0 for r in rewards),
        "coverage": mean(solved),
        "reward/mean": mean(rewards),
        "think/usage": mean(thinking),
        "completion/mean_tokens": mean(num_tokens),
        "tokens_per_answer": float(sum(num_tokens)) / (n // num_samples),
        "think/check_rate": mean(CHECK in c for c in completions),
        "think/wait_rate": mean(WAIT in c for c in completions),
    }
    for d in sorted({p.difficulty for p in rows}):
        idx = [i for i, p in enumerate(rows) if p.difficulty == d]
        m[f"pass_rate/d{d}"] = mean(rewards[i] > 0 for i in idx)
        m[f"think/usage/d{d}"] = mean(thinking[i] for i in idx)
        m[f"completion/mean_tokens/d{d}"] = mean(num_tokens[i] for i in idx)
    return m


_STEP = re.compile(r"^(\d+)\+(\d+)(?:\+(\d+))?=(\d+)$")


def self_check_stats(completions: Sequence[str]) -> dict[str, float]:
    """Count self-checks and revisions in math thinking (``a+b+c=s<check>..<wait>a+b+c=s'``).

    Returns:
        ``steps`` (addition steps written), ``step_error_rate`` (share of wrong steps, first
        attempts), ``checks_per_step``, ``waits_per_step``, ``caught`` (share of wrong checked
        steps that were revised), ``false_alarms`` (share of right checked steps revised anyway),
        ``fixed`` (share of revisions whose new step is right), ``completions_with_check``,
        ``completions_with_wait``.
    """
    steps = wrong = checks = waits = caught = wrong_checked = alarms = right_checked = fixed = 0
    with_check = with_wait = 0
    for c in completions:
        if not c.startswith(THINK) or END_THINK not in c:
            continue
        body = c[len(THINK) : c.index(END_THINK)]
        with_check += CHECK in body
        with_wait += WAIT in body
        for chunk in body.split(","):
            first, _, rest = chunk.partition(CHECK)
            m = _STEP.match(first)
            if not m:
                continue
            x, y, carry, s = (int(g or 0) for g in m.groups())
            ok = x + y + carry == s
            steps += 1
            wrong += not ok
            if not rest:
                continue
            checks += 1
            revised = WAIT in rest
            waits += revised
            if ok:
                right_checked += 1
                alarms += revised
            else:
                wrong_checked += 1
                caught += revised
            if revised:
                m2 = _STEP.match(rest.split(WAIT, 1)[1])
                if m2:
                    x2, y2, c2, s2 = (int(g or 0) for g in m2.groups())
                    fixed += x2 + y2 + c2 == s2

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    n = len(completions)
    return {
        "steps": float(steps),
        "step_error_rate": ratio(wrong, steps),
        "checks_per_step": ratio(checks, steps),
        "waits_per_step": ratio(waits, steps),
        "caught": ratio(caught, wrong_checked),
        "false_alarms": ratio(alarms, right_checked),
        "fixed": ratio(fixed, waits),
        "completions_with_check": ratio(with_check, n),
        "completions_with_wait": ratio(with_wait, n),
    }
