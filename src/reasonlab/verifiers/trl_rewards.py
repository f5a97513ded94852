"""Our verifiers as reward functions for real trainers (TRL's ``GRPOTrainer`` signature).

TRL calls each reward function once per batch as
``reward(prompts=..., completions=..., completion_ids=..., **columns, trainer_state=..., ...)``:
every dataset column except ``prompt`` arrives as a keyword argument holding one value per
completion, and the function returns one float per completion. So a dataset with a column
``answer`` pairs with :func:`math_reward`, one with ``problem`` with :func:`logic_reward`, one with
``tests`` with :func:`code_reward`::

    from trl import GRPOConfig, GRPOTrainer
    from reasonlab.verifiers.trl_rewards import format_reward, math_reward

    trainer = GRPOTrainer(model=..., reward_funcs=[math_reward, format_reward],
                          args=GRPOConfig(...), train_dataset=dataset)  # columns: prompt, answer

Completions may be plain text (``str``) or conversational (a list of ``{"role", "content"}``
messages); only the assistant's text is verified, the same way in both cases.

None of this re-implements a check: every reward is ``reasonlab.verifiers``' verdict, so what the
book measures on the toy policy is exactly what a real run would optimise. When the trainer offers
its logging hooks (TRL passes ``log_metric`` and ``log_extra``), each function also logs the
share of prompts in the batch with at least one rewarded completion (``<name>/coverage``, the
operational note "track verifier coverage") and each completion's verifier ``reason``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from . import VerifierResult, verify_code_batch, verify_logic, verify_math
from . import format_reward as format_check

#: A completion as TRL hands it over: text, or a list of chat messages.
Completion = str | list[dict[str, Any]]
#: The signature TRL expects: keyword arguments in, one float per completion out.
RewardFunc = Callable[..., list[float]]

# Which dataset column each domain reads its ground truth from (None: needs no ground truth).
DEFAULT_COLUMNS: dict[str, str | None] = {
    "math": "answer",
    "logic": "problem",
    "code": "tests",
    "format": None,
}
# Keyword arguments TRL adds that are not dataset columns (left out of error messages).
_TRAINER_KWARGS = frozenset(
    {"completion_ids", "trainer_state", "log_extra", "log_metric", "environments"}
)


def completion_text(completion: Completion) -> str:
    """The text a verifier should see: the string itself, or the assistant's messages joined.

    Conversational completions are lists of messages; ``content`` may be a string or a list of
    parts (``{"type": "text", "text": ...}``). Anything else contributes nothing, so a malformed
    completion is verified as empty text (reward 0) rather than crashing the trainer.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if not isinstance(completion, Sequence):
        return ""
    texts = []
    for message in completion:
        if not isinstance(message, dict) or message.get("role", "assistant") != "assistant":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, Sequence):
            texts.extend(
                part["text"]
                for part in content
                if isinstance(part, dict) and isinstance(part.get("text"), str)
            )
    return "\n".join(texts)


def _logic_problem(problem: Any) -> Any:
    """A logic problem from a dataset cell: a dict (Arrow fills missing struct keys with None,
    which we drop) or a JSON string; anything else is passed on for the verifier to judge."""
    if isinstance(problem, str):
        try:
            problem = json.loads(problem)
        except json.JSONDecodeError as err:
            raise ValueError(f"logic_reward: problem {problem!r} is not a JSON object") from err
    if isinstance(problem, dict):
        return {k: v for k, v in problem.items() if v is not None}
    return problem


def verify_all(
    domain: str, completions: Sequence[Completion], golds: Sequence[Any] | None, **options: Any
) -> list[VerifierResult]:
    """Run the ``domain``'s verifier on each completion (the shared core of every reward here).

    Args:
        domain: ``"math"``, ``"logic"``, ``"code"`` or ``"format"``.
        completions: B completions, text or conversational.
        golds: B ground truths (gold answers, logic problems, unit tests), or None for format.
        **options: passed to the verifier (``timeout=...``; ``memory_mb=...`` for code).

    Returns:
        B ``VerifierResult``, in order.
    """
    if domain not in DEFAULT_COLUMNS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {sorted(DEFAULT_COLUMNS)}")
    texts = [completion_text(c) for c in completions]
    if domain == "format":
        return [format_check(t, **options) for t in texts]
    if golds is None or len(golds) != len(texts):
        got = "none" if golds is None else len(golds)
        raise ValueError(f"{domain}: {len(texts)} completions but {got} ground-truth values")
    if domain == "math":
        return [verify_math(t, str(g), **options) for t, g in zip(texts, golds, strict=True)]
    if domain == "logic":
        return [
            verify_logic(t, _logic_problem(g), **options) for t, g in zip(texts, golds, strict=True)
        ]
    # One sandbox for the whole batch: its start-up cost is paid once, not per completion.
    tests = [g if isinstance(g, str) else list(g) for g in golds]
    return verify_code_batch(texts, tests, **options)


def batch_coverage(prompts: Sequence[Any], rewards: Sequence[float]) -> float:
    """Share of distinct prompts in a batch with at least one completion rewarded 1.0.

    A GRPO batch holds G completions per prompt; a prompt none of them solves gives every
    completion the same reward, hence zero advantage and no learning signal.
    """
    solved: dict[str, bool] = {}
    for prompt, reward in zip(prompts, rewards, strict=True):
        key = prompt if isinstance(prompt, str) else json.dumps(prompt, sort_keys=True, default=str)
        solved[key] = solved.get(key, False) or reward >= 1.0
    return sum(solved.values()) / len(solved) if solved else 0.0


def _reward(
    domain: str,
    name: str,
    prompts: Sequence[Any],
    completions: Sequence[Completion],
    golds: Sequence[Any] | None,
    kwargs: dict[str, Any],
    options: dict[str, Any],
) -> list[float]:
    results = verify_all(domain, completions, golds, **options)
    rewards = [float(r.reward) for r in results]
    log_metric, log_extra = kwargs.get("log_metric"), kwargs.get("log_extra")
    if callable(log_metric) and domain != "format":
        log_metric(f"{name}/coverage", batch_coverage(prompts, rewards))
    if callable(log_extra):
        log_extra(f"{name}/reason", [r.reason for r in results])
    return rewards


def _column(name: str, column: str, kwargs: dict[str, Any]) -> Sequence[Any]:
    if column not in kwargs:
        columns = sorted(k for k in kwargs if k not in _TRAINER_KWARGS)
        raise KeyError(
            f"{name} needs a dataset column {column!r} with the ground truth; "
            f"the batch has columns {columns}"
        )
    return kwargs[column]


#: RL default for :func:`math_reward`: no explicit answer marker, no reward (book/scaling_up.md).
MATH_REWARD_LAST_NUMBER_FALLBACK = False


def math_reward(
    prompts: Sequence[Any],
    completions: Sequence[Completion],
    answer: Sequence[str],
    *,
    last_number_fallback: bool = MATH_REWARD_LAST_NUMBER_FALLBACK,
    **kwargs: Any,
) -> list[float]:
    """1.0 when the completion's final answer equals the ``answer`` column (``verify_math``).

    Args:
        prompts: B prompts (used only for the coverage metric).
        completions: B completions, text or conversational.
        answer: B gold answers: bare (``"936"``) or a reference solution ending ``#### 936``.
        last_number_fallback: read a lone final number when a completion has no answer marker
            (``\\boxed``, ``####``, "the answer is", ``<answer>``). Off by default for training:
            a policy learns whatever is rewarded, and the marker is what it should learn
            (``make_reward("math", last_number_fallback=True)`` turns it on).
        **kwargs: other dataset columns and trainer hooks (``log_metric``, ``log_extra``).

    Returns:
        B rewards in {0.0, 1.0}.
    """
    options = {"last_number_fallback": last_number_fallback}
    return _reward("math", "math_reward", prompts, completions, answer, kwargs, options)


def logic_reward(
    prompts: Sequence[Any], completions: Sequence[Completion], problem: Sequence[Any], **kwargs: Any
) -> list[float]:
    """1.0 when the completion solves the ``problem`` column's logic puzzle (``verify_logic``).

    Args:
        prompts: B prompts.
        completions: B completions.
        problem: B problem specs, dicts such as ``{"kind": "compare", "a": "9.11", "b": "9.9"}``
            or the same as JSON strings (``Problem.spec()`` gives them for the toy tasks).
        **kwargs: other dataset columns and trainer hooks.

    Returns:
        B rewards in {0.0, 1.0}.
    """
    return _reward("logic", "logic_reward", prompts, completions, problem, kwargs, {})


def code_reward(
    prompts: Sequence[Any],
    completions: Sequence[Completion],
    tests: Sequence[str | Sequence[str]],
    **kwargs: Any,
) -> list[float]:
    """1.0 when the completion's code passes every test in the ``tests`` column (``verify_code``).

    The whole batch runs in one sandbox (``verify_code_batch``); the program is the last fenced
    python block of the completion, or the whole text if there is none.

    Args:
        prompts: B prompts.
        completions: B completions holding the program.
        tests: B test suites: a string of ``assert`` lines or a list of them.
        **kwargs: other dataset columns and trainer hooks.

    Returns:
        B rewards in {0.0, 1.0}.
    """
    return _reward("code", "code_reward", prompts, completions, tests, kwargs, {})


def format_reward(
    prompts: Sequence[Any], completions: Sequence[Completion], **kwargs: Any
) -> list[float]:
    """The ``<think>…</think>`` then answer layout score (``reasonlab.verifiers.format_reward``).

    Needs no ground truth, which is why a policy can farm it: add it beside a correctness reward,
    never alone (the "Verifiable rewards" notebook shows the gaming).
    """
    return _reward("format", "format_reward", prompts, completions, None, kwargs, {})


def make_reward(
    domain: str, *, column: str | None = None, name: str | None = None, **options: Any
) -> RewardFunc:
    """A reward function for ``domain`` reading another column or passing verifier options.

    Args:
        domain: ``"math"``, ``"logic"``, ``"code"`` or ``"format"``.
        column: dataset column with the ground truth (default: ``answer``, ``problem``, ``tests``).
        name: the function's ``__name__``, which TRL uses in its log keys
            (``rewards/<name>/mean``); default ``<domain>_reward``.
        **options: verifier keyword arguments, e.g. ``timeout=2.0``.

    Returns:
        A callable with TRL's reward signature.
    """
    if domain not in DEFAULT_COLUMNS:
        raise ValueError(f"unknown domain {domain!r}; expected one of {sorted(DEFAULT_COLUMNS)}")
    column = column if column is not None else DEFAULT_COLUMNS[domain]
    name = name or f"{domain}_reward"
    if domain == "math":  # the same RL default as math_reward
        options.setdefault("last_number_fallback", MATH_REWARD_LAST_NUMBER_FALLBACK)

    def reward(
        prompts: Sequence[Any], completions: Sequence[Completion], **kwargs: Any
    ) -> list[float]:
        golds = _column(name, column, kwargs) if column is not None else None
        return _reward(domain, name, prompts, completions, golds, kwargs, options)

    reward.__name__ = reward.__qualname__ = name
    reward.__doc__ = f"TRL reward: reasonlab {domain} verifier on column {column!r}, {options}."
    return reward
