"""The credit microscope: each method's advantage for every step of a completion, beside the true
one, and whether it blames the step that went wrong.

A math completion is cut into *segments* at VinePPO's boundaries (:func:`reasonlab.training.credit.
step_boundaries`): one per thinking step (the first also holds ``<think>``, the last
``</think>``), then the answer. The *true* advantage of a segment is ``V(after) - V(before)``
with values from many rollouts per prefix (the reward after the last segment). Each method's
advantage of a segment is the mean of the per-token advantages it would give that segment's
tokens:

=============  ====================================================================
``grpo``       the group's z-scored reward, the same for every segment
``dr_grpo``    the group's mean-centred reward (Dr. GRPO), the same for every segment
``reinforce``  the reward minus the mean of the group's other samples (RLOO), likewise
``vineppo``    the same difference of values as the truth, from ``vine_k`` rollouts
``ppo_gae``    GAE (``gamma``, ``lam``) on a value model's per-token values
=============  ====================================================================

Every step of an addition can be checked (:func:`first_wrong_step`), so on a wrong completion
one can ask whether a method's most negative segment is the first wrong one.
"""

from __future__ import annotations

import re

import torch

from ..training import credit
from ..training.losses import advantages, gae
from ..world import tasks
from ..world.tokenizer import CHECK, END_THINK, THINK, WAIT

_CHECK = re.compile(r"^(\d+)-(\d+)(?:-(\d+))?=(\d+)$")


def _check_fails(check: str) -> bool:
    """A self-check ``s-y[-c]=x`` that is not true arithmetic (an empty check passes)."""
    m = _CHECK.match(check)
    if not check:
        return False
    return m is None or int(m[1]) - int(m[2]) - int(m[3] or 0) != int(m[4])


def _think_steps(text: str) -> list[str] | None:
    if not text.startswith(THINK):
        return None
    body = text[len(THINK) :].split(END_THINK, 1)[0]
    return body.split(",")


def first_wrong_step(problem: tasks.Problem, completion: str) -> int | None:
    """Segment index of the first mistake in a math completion, or None if it has none.

    A thinking step is wrong when its claim (a revision after ``<wait>`` replaces it) differs
    from the teacher's step at that place, or when its ``<check>`` is false arithmetic (as
    ``labs.steps.check_steps`` judges); closing the thinking before the last column is a mistake
    of the last step written; with right steps, a wrong answer is the answer segment's mistake.
    """
    steps = _think_steps(completion)
    want = _think_steps(tasks.demonstration_text(problem, think=True))
    right = tasks.verify_batch([problem], [completion])[0].reward > 0
    if steps is None:
        return None if right else 0
    for i, step in enumerate(steps):
        claim, _, check = step.split(WAIT)[-1].partition(CHECK)
        if i >= len(want) or claim != want[i] or _check_fails(check):
            return i
    if len(steps) < len(want):
        return len(steps) - 1
    return None if right else len(steps)


def _segment_means(token_adv: torch.Tensor, bounds: list[int]) -> list[float]:
    ends = [*bounds[1:], len(token_adv)]
    return [float(token_adv[b:e].mean()) for b, e in zip(bounds, ends, strict=True)]


def _ppo_segments(value_model, policy, prompts, token_ids, reward, bounds, gamma, lam) -> list:
    with torch.no_grad():
        v = value_model(policy, prompts, token_ids)
    _, mask = policy.encode_batch(prompts, token_ids)
    last = mask.shape[1] - 1 - mask.flip(1).argmax(1)
    r = torch.zeros_like(mask)
    r[torch.arange(len(prompts)), last] = reward
    adv, _ = gae(r, v, mask, gamma, lam)
    return [_segment_means(adv[i][mask[i] > 0], b) for i, b in enumerate(bounds)]


def step_table(
    policy,
    problems,
    *,
    num_samples: int = 4,
    k_true: int = 64,
    vine_k: int = 4,
    seed: int = 0,
    value_model=None,
    gamma: float = 1.0,
    lam: float = 0.95,
) -> tuple[list[dict], dict]:
    """Sample ``num_samples`` completions per problem and lay out every method's step credit.

    Args:
        policy: the policy that samples (and rolls out).
        problems: math problems (N).
        num_samples: completions per problem (GRPO's group).
        k_true: rollouts per prefix for the true values.
        vine_k: rollouts per prefix for VinePPO's estimate.
        seed: seeds the samples and both sets of rollouts.
        value_model: a :class:`reasonlab.training.credit.ValueModel` for ``ppo_gae`` (omitted if
            None).
        gamma, lam: GAE's parameters.

    Returns:
        (table, extra_tokens): one dict per completion, with ``prompt``, ``completion``,
        ``reward``, ``first_wrong`` (segment index or None), and ``true``, ``grpo``,
        ``vineppo`` (and ``ppo_gae``): one advantage per segment; the tokens each method's
        values cost in rollouts.
    """
    out = policy.sample([p.prompt for p in problems], num_samples=num_samples, seed=seed)
    rows = [p for p in problems for _ in range(num_samples)]
    reward = torch.tensor([float(r.reward) for r in tasks.verify_batch(rows, out.completions)])
    bounds, true_v, true_cost = credit.vine_values(
        policy, rows, out.token_ids, k=k_true, seed=seed + 1
    )
    _, vine_v, vine_cost = credit.vine_values(policy, rows, out.token_ids, k=vine_k, seed=seed + 2)
    grouped = reward.view(len(problems), -1)
    grpo = credit.group_advantages(grouped, "seq-mean").reshape(-1)
    dr_grpo = credit.group_advantages(grouped, "dr-grpo").reshape(-1)
    rloo = advantages(grouped, "group").reshape(-1)
    ppo = None
    if value_model is not None:
        prompts = [p.prompt for p in rows]
        ppo = _ppo_segments(value_model, policy, prompts, out.token_ids, reward, bounds, gamma, lam)
    table = []
    for i, (p, c) in enumerate(zip(rows, out.completions, strict=True)):
        r = float(reward[i])
        row = {
            "prompt": p.prompt,
            "completion": c,
            "reward": r,
            "first_wrong": _clamp(first_wrong_step(p, c), len(bounds[i])),
            "true": credit.step_advantages(true_v[i], r).tolist(),
            "token_ids": list(out.token_ids[i]),
            "bounds": bounds[i],
            "grpo": [float(grpo[i])] * len(bounds[i]),
            "dr_grpo": [float(dr_grpo[i])] * len(bounds[i]),
            "reinforce": [float(rloo[i])] * len(bounds[i]),
            "vineppo": credit.step_advantages(vine_v[i], r).tolist(),
        }
        if ppo is not None:
            row["ppo_gae"] = ppo[i]
        table.append(row)
    cost = {"true": true_cost, "vineppo": vine_cost, "grpo": 0, "dr_grpo": 0, "reinforce": 0}
    return table, {**cost, "ppo_gae": 0}


def add_ppo_column(
    table: list[dict], policy, value_model, name: str = "ppo_gae", *, gamma=1.0, lam=0.95
) -> None:
    """Add (in place) column ``name`` to a :func:`step_table`: GAE on ``value_model``'s values
    for the table's completions (``token_ids``), averaged per segment."""

    reward = torch.tensor([float(r["reward"]) for r in table])
    segs = _ppo_segments(
        value_model,
        policy,
        [r["prompt"] for r in table],
        [r["token_ids"] for r in table],
        reward,
        [r["bounds"] for r in table],
        gamma,
        lam,
    )
    for r, s in zip(table, segs, strict=True):
        r[name] = s


def _clamp(step: int | None, n: int) -> int | None:
    return None if step is None else min(step, n - 1)


def warm_value_models(
    policy,
    problems,
    snapshots=(30,),
    *,
    num_samples: int = 8,
    lr: float = 1e-3,
    seed: int = 0,
):
    """Yield ``(steps, value_model)`` after each number of ``snapshots`` (ascending) steps of
    one :class:`reasonlab.training.credit.ValueModel` regressed on the verdicts of ``policy``'s own
    samples (the Monte Carlo return at every token): PPO's critic during a warm-up, policy
    fixed. The model yielded is the one being trained: use it before the next step.

    Args:
        policy: the fixed policy.
        problems: each step samples ``num_samples`` completions for 16 of them, in turn.
        snapshots: step counts to yield at (0: the untrained head, which predicts 0).
        num_samples: completions per problem.
        lr: Adam learning rate.
        seed: seeds the samples.
    """
    value = credit.ValueModel(policy)
    opt = torch.optim.Adam(value.parameters(), lr=lr)
    done = 0
    for target in sorted(snapshots):
        for step in range(done, target):
            part = [problems[(16 * step + j) % len(problems)] for j in range(16)]
            out = policy.sample([p.prompt for p in part], num_samples=num_samples, seed=seed + step)
            rows = [p for p in part for _ in range(num_samples)]
            verdict = [float(r.reward) for r in tasks.verify_batch(rows, out.completions)]
            prompts = [p.prompt for p in rows]
            v = value(policy, prompts, out.token_ids)
            _, mask = policy.encode_batch(prompts, out.token_ids)
            loss = (((v - torch.tensor(verdict)[:, None]) * mask) ** 2).sum() / mask.sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        done = target
        yield target, value


def warm_value_model(
    policy, problems, *, steps: int = 30, num_samples: int = 8, lr: float = 1e-3, seed: int = 0
) -> credit.ValueModel:
    """The value model of :func:`warm_value_models` after ``steps`` steps."""
    for _, value in warm_value_models(
        policy, problems, (steps,), num_samples=num_samples, lr=lr, seed=seed
    ):
        return value
    raise AssertionError("unreachable")


def blames(advs: list[float], step: int) -> float:
    """Credit for blaming ``step``: 1 if it alone holds the most negative advantage, 1/m if it
    ties with m-1 others, else 0 (a method that blames every step equally gets 1/len)."""
    low = min(advs)
    tied = [j for j, a in enumerate(advs) if a <= low + 1e-9]
    return 1.0 / len(tied) if step in tied else 0.0


def summary(
    table: list[dict],
    extra_tokens: dict,
    methods=("true", "grpo", "dr_grpo", "reinforce", "vineppo", "ppo_gae"),
) -> list[dict]:
    """Per method: how often it blames the first wrong step (over the completions with a wrong
    answer and more than one segment), and the correlation of its segment advantages with the
    true ones.

    Returns:
        one row per method present: ``method``, ``blames_first_error``, ``n_wrong``,
        ``step_value_corr`` (Pearson, over every segment of every completion), ``extra_tokens``.
    """
    wrong = [r for r in table if r["reward"] <= 0 and len(r["true"]) > 1]
    out = []
    for m in methods:
        if m not in table[0]:
            continue
        x = torch.tensor([float(a) for r in table for a in r[m]])
        y = torch.tensor([float(a) for r in table for a in r["true"]])
        corr = float(torch.corrcoef(torch.stack([x, y]))[0, 1]) if x.std() > 0 else float("nan")
        hits = [blames(r[m], r["first_wrong"]) for r in wrong]
        out.append(
            {
                "method": m,
                "blames_first_error": sum(hits) / len(hits) if hits else float("nan"),
                "n_wrong": len(hits),
                "step_value_corr": corr,
                "extra_tokens": extra_tokens[m],
            }
        )
    return out
