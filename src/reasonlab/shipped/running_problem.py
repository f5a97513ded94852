"""The chapter's running problem: one three-digit sum followed through notebooks 03, 04, 05, 09.

Each training or measurement notebook shows its method on many problems at once; this module
fixes *one* problem so a reader can watch the same prompt go through every stage: the base
policy's samples and which of them STaR keeps (03), their group advantages and the policy
before and after RL (04), their votes and pass@k (05), the tutor against its students (09).

The problem is :data:`PROMPT`. It was chosen by :func:`choose`, by code and deterministically:
among the first :data:`NUM_CANDIDATES` held-out three-digit sums (``rl.tasks.make("math", ...,
difficulty=3, split="test", seed=0)``), draw :data:`NUM_SAMPLES` samples of each, on its own,
from the shipped ``base`` policy (temperature 1, seed :data:`SEED`, float64, so the same on any
CPU), keep the problems the base solves on some *but not all* of them, and take the one it
solves most often (ties: the earliest). A problem the base always or never solves would leave a
stage with nothing to show: STaR would keep everything or nothing, every group advantage would
be 0, and a vote would have a single answer. Three digits is where the base's direct answers are
never right and its thinking usually is, so its failures and successes differ in kind, not only
in luck. Among the mixed problems the most-solved one gives STaR the most samples to keep while
leaving failures to drop. ``tests/test_running_problem.py`` re-runs the choice and checks both
claims.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import torch

from ..measurement.estimators import pass_at_k
from ..measurement.sweeps import GOLD, Samples, draw
from ..measurement.voting import majority_at_k_exact, majority_vote
from ..training.losses import advantages
from ..world.tasks import Problem, make

#: The running problem's prompt, as :func:`choose` picks it from the shipped ``base``.
PROMPT = "272+803="
#: Samples per policy on the running problem, in every notebook.
NUM_SAMPLES = 16
#: Sampling seed of those samples.
SEED = 0
#: How many held-out three-digit sums :func:`choose` looks at.
NUM_CANDIDATES = 40
#: The ks at which notebook 05 shows pass@k and majority@k.
KS = (1, 2, 4, 8, 16)
#: The columns of :func:`at_k_rows`, per policy in :func:`at_k_table`.
AT_K = ("pass@k", "majority@k")


def candidates(n: int = NUM_CANDIDATES) -> list[Problem]:
    """The held-out three-digit sums the running problem is chosen from, in order."""
    return make("math", n, difficulty=3, split="test", seed=0)


def problem() -> Problem:
    """The running problem (:data:`PROMPT`) with its gold answer."""
    for p in candidates():
        if p.prompt == PROMPT:
            return p
    raise LookupError(f"{PROMPT!r} is not among the candidates")  # pragma: no cover


def samples_of(policy: Any, p: Problem) -> Samples:
    """:data:`NUM_SAMPLES` samples of problem ``p`` alone, seed :data:`SEED`, judged."""
    return draw(policy, [p], num_samples=NUM_SAMPLES, seed=SEED)


def samples(policy: Any) -> Samples:
    """The running problem's :data:`NUM_SAMPLES` samples from ``policy``, judged by the verifier:
    the same ones every notebook shows, and the ones :func:`choose` saw."""
    return samples_of(policy, problem())


def choose(policy: Any, n: int = NUM_CANDIDATES) -> tuple[Problem, list[int]]:
    """Re-run the choice: (the chosen problem, the number of verified samples of each candidate).

    The chosen problem is the candidate with the most verified samples out of
    :data:`NUM_SAMPLES`, among those with at least one and fewer than all; ties go to the earliest.
    """
    pool = candidates(n)
    # Each candidate drawn on its own, as samples() draws the running problem: a prompt's
    # samples depend on the other rows of its batch, so the choice must see the same ones.
    solved = [int(samples_of(policy, p).correct.sum()) for p in pool]
    mixed = [i for i, c in enumerate(solved) if 0 < c < NUM_SAMPLES]
    if not mixed:
        raise ValueError("the policy solves every candidate always or never")
    best = max(mixed, key=lambda i: (solved[i], -i))
    return pool[best], solved


def _answer(key: Any, gold: str) -> str:
    """A vote key as a reader would write it."""
    if key == GOLD:
        return gold
    if key is None:
        return "(none)"
    if isinstance(key, tuple):  # written like the gold answer but rejected
        return f"{key[1]} (rejected)"
    return str(key)


def _groups(drawn: Samples) -> dict[str, list[int]]:
    """The sample indices of each distinct completion, in first-seen order."""
    groups: dict[str, list[int]] = {}
    for j, completion in enumerate(drawn.completions[0]):
        groups.setdefault(completion, []).append(j)
    return groups


def sample_rows(drawn: Samples) -> list[dict]:
    """One row per distinct completion: which samples wrote it, its answer, the verdict, and
    what STaR does with it (keep the verified ones, drop the rest)."""
    gold = problem().answer
    rows = []
    for completion, idx in _groups(drawn).items():
        j = idx[0]
        rows.append(
            {
                "samples": ", ".join(map(str, idx)),
                "completion": completion,
                "answer": _answer(drawn.answers[0][j], gold),
                "thinks": "yes" if drawn.think[0, j] else "no",
                "verified": int(drawn.correct[0, j]),
                "STaR": "keep" if drawn.correct[0, j] else "drop",
            }
        )
    return rows


def advantage_rows(drawn: Samples) -> list[dict]:
    """One row per distinct completion: its reward and its advantage under no baseline, the
    leave-one-out group mean, and GRPO's group standardisation, the group being all the samples."""
    reward = torch.tensor(drawn.correct[:1], dtype=torch.float64)  # (1, S): one prompt's group
    adv = {b: advantages(reward, b)[0] for b in ("none", "group", "group_std")}
    gold = problem().answer
    rows = []
    for idx in _groups(drawn).values():
        j = idx[0]
        rows.append(
            {
                "samples": len(idx),
                "answer": _answer(drawn.answers[0][j], gold),
                "reward": float(reward[0, j]),
                "none": float(adv["none"][j]),
                "group": float(adv["group"][j]),
                "group_std": float(adv["group_std"][j]),
            }
        )
    return rows


def votes(drawn: Samples) -> list[dict]:
    """The answers of the samples with their vote counts, most votes first (then first seen)."""
    gold = problem().answer
    counts = Counter(drawn.answers[0])
    return [
        {"answer": _answer(key, gold), "votes": m, "verified": int(key == GOLD)}
        for key, m in counts.most_common()
    ]


def at_k_rows(drawn: Samples, ks: Sequence[int] = KS) -> list[dict]:
    """pass@k and majority@k of the running problem from its samples, for each k (exact)."""
    n, c = drawn.num_samples, int(drawn.correct[0].sum())
    majority = majority_at_k_exact(drawn.answers[0], GOLD, ks)
    return [
        {"k": k, "pass@k": pass_at_k(n, c, k), "majority@k": float(m)}
        for k, m in zip(ks, majority, strict=True)
    ]


def at_k_table(drawn: dict[str, Samples], ks: Sequence[int] = KS) -> list[dict]:
    """pass@k and majority@k of several policies' samples side by side: one row per k."""
    per = {name: at_k_rows(d, ks) for name, d in drawn.items()}
    return [
        {"k": k, **{f"{name} {m}": per[name][i][m] for name in per for m in AT_K}}
        for i, k in enumerate(ks)
    ]


def summary(name: str, drawn: Samples) -> dict:
    """One policy on the running problem: share solved, share thinking, mean tokens, and the
    majority vote over all its samples (ties: the answer voted first)."""
    winner = majority_vote(drawn.answers[0])
    return {
        "policy": name,
        "solved": float(drawn.correct[0].mean()),
        "thinks": float(drawn.think[0].mean()),
        "tokens": float(drawn.tokens[0].mean()),
        "distinct answers": len(set(drawn.answers[0])),
        "majority answer": _answer(winner, problem().answer),
        "majority right": int(winner == GOLD),
    }
