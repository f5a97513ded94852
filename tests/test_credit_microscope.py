"""The credit microscope: the first wrong step of an addition is found where it is, ties share
the blame, and on real samples of the base policy every method gives one advantage per segment,
the true ones telescope to the reward minus the prompt's value, and the table repeats exactly."""

import math

import pytest

from reasonlab.shipped import zoo
from reasonlab.shipped.credit_microscope import blames, first_wrong_step, step_table, summary
from reasonlab.world import tasks

P = tasks.Problem("math", "add", "12+34=", "46", 2, (12, 34))


@pytest.mark.parametrize(
    "completion,step",
    [
        ("<think>2+4=6,1+3=4</think>#### 46", None),
        ("<think>2+4=7,1+3=4</think>#### 47", 0),
        ("<think>2+4=6,1+3=5</think>#### 56", 1),
        ("<think>2+4=6,1+3=4</think>#### 45", 2),  # right steps, wrong answer
        ("<think>2+4=6</think>#### 6", 0),  # stopped a column early
        ("<think>2+4=7<check>7-4=3<wait>2+4=6,1+3=4</think>#### 46", None),  # revised in time
        ("<think>2+4=6<check>6-4=2,1+3=4</think>#### 46", None),
        ("<think>2+4=6<check>6-4=3,1+3=4</think>#### 46", 0),  # its own check is false
        ("<think>2+4=6,1+3=4<check>4-3</think>#### 46", 1),  # a check that is not arithmetic
        ("#### 45", 0),
        ("#### 46", None),
    ],
)
def test_first_wrong_step(completion, step):
    assert first_wrong_step(P, completion) == step


def test_blame_is_shared_between_ties():
    assert blames([0.1, -0.5, 0.0], 1) == 1.0
    assert blames([0.1, -0.5, 0.0], 0) == 0.0
    assert blames([-0.2, -0.2, -0.2, -0.2], 3) == 0.25


def test_step_table_on_base_samples():
    policy = zoo.load("base")
    problems = tasks.make("math", 4, difficulty=3, seed=5)
    table, cost = step_table(policy, problems, num_samples=2, k_true=8, vine_k=2, seed=3)
    assert len(table) == 8
    for row in table:
        n = len(row["true"])
        assert len(row["grpo"]) == len(row["vineppo"]) == n
        assert row["first_wrong"] is None or 0 <= row["first_wrong"] < n
        if row["reward"] == 0:
            assert row["first_wrong"] is not None
    # The true step advantages telescope to reward - V(prompt), and V(prompt) is one number per
    # prompt (its prefix is rolled out once).
    v0 = [r["reward"] - sum(r["true"]) for r in table]
    for i in range(0, 8, 2):
        assert v0[i] == pytest.approx(v0[i + 1], abs=1e-6)
    assert cost["true"] > cost["vineppo"] > 0 and cost["grpo"] == 0
    again, _ = step_table(policy, problems, num_samples=2, k_true=8, vine_k=2, seed=3)
    assert again == table
    rows = {r["method"]: r for r in summary(table, cost)}
    assert set(rows) == {"true", "grpo", "dr_grpo", "reinforce", "vineppo"}
    assert rows["true"]["step_value_corr"] == pytest.approx(1.0)
    for r in rows.values():
        assert math.isnan(r["blames_first_error"]) or 0 <= r["blames_first_error"] <= 1


def test_summary_counts_only_wrong_answers_with_several_steps():
    def row(reward, first_wrong, true, grpo, vine):
        return {"reward": reward, "first_wrong": first_wrong, "true": true, "grpo": grpo,
                "vineppo": vine}  # fmt: skip

    table = [
        row(0.0, 1, [0, -1, 0], [-1] * 3, [0, -0.5, 0.1]),
        row(1.0, 2, [0.1, 0, 0.2], [1] * 3, [0, 1, 0]),  # a wrong step, but a right answer
        row(0.0, 0, [-0.5], [-1], [-1]),  # one segment: nothing to choose between
    ]
    rows = {r["method"]: r for r in summary(table, {"true": 9, "grpo": 0, "vineppo": 3})}
    assert {m: r["blames_first_error"] for m, r in rows.items()} == pytest.approx(
        {"true": 1.0, "grpo": 1 / 3, "vineppo": 1.0}
    )
    assert rows["grpo"]["n_wrong"] == 1 and rows["vineppo"]["extra_tokens"] == 3
