"""The rewards the RL loop can train on: the verifier, proxies and controls."""

import pytest
import torch

from reasonlab.core.metrics import REWARD_MEAN, VERIFIED
from reasonlab.shipped import zoo
from reasonlab.training import rewards as training_rewards
from reasonlab.training import rl
from reasonlab.world import tasks


def _case():
    problems = [tasks.Problem("math", "add", "12+30=", "42", 2, (12, 30))] * 5
    completions = [
        " #### 42",  # right
        " #### 41",  # wrong, well formed
        "<think>42,1</think> #### 41",  # the gold appears, the answer is wrong
        "4242 42",  # no marker, last number right
        "no number",
    ]
    correct = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])
    return problems, completions, correct


@pytest.mark.parametrize(
    "name, expected",
    [
        ("verifier", [1, 0, 0, 0, 0]),
        ("substring", [1, 0, 1, 1, 0]),
        ("last_number", [1, 0, 0, 1, 0]),
        ("format", [1, 1, 1, 0, 0]),
        ("negated", [0, 1, 1, 1, 1]),
    ],
)
def test_each_reward_on_hand_cases(name, expected):
    got = training_rewards.reward(name, *_case(), seed=0)
    assert got.tolist() == [float(e) for e in expected]


def test_the_coin_ignores_the_completion_and_follows_the_seed():
    problems, completions, correct = _case()
    a = training_rewards.reward("coin", problems * 40, completions * 40, correct.repeat(40), 1)
    b = training_rewards.reward("coin", problems * 40, completions * 40, 1 - correct.repeat(40), 1)
    c = training_rewards.reward("coin", problems * 40, completions * 40, correct.repeat(40), 2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert 0.35 < float(a.mean()) < 0.65


def test_unknown_reward_is_a_named_error():
    with pytest.raises(ValueError, match="unknown reward 'vibes'"):
        rl.RLConfig(reward="vibes")


def test_default_reward_leaves_the_recipe_as_it_was():
    assert "reward" not in rl.RLConfig().recipe()
    assert rl.RLConfig(reward="coin").recipe()["reward"] == "coin"


def test_a_proxy_run_logs_the_verdict_beside_the_proxy():
    policy = zoo.load("base", train_if_missing=False)
    problems = tasks.make("math", 64, difficulty=(1, 2), seed=3)
    cfg = rl.RLConfig(steps=1, prompts_per_step=4, num_samples=4, reward="negated", eval_size=8)
    history = rl.train_rlvr(policy, problems, cfg)
    row = history[-1]
    # negated reward: the batch's reward is exactly one minus the verifier's acceptance rate
    assert row[REWARD_MEAN] == pytest.approx(1 - row[VERIFIED])
    plain = rl.train_rlvr(
        zoo.load("base", train_if_missing=False),
        problems,
        rl.RLConfig(steps=1, prompts_per_step=4, num_samples=4, eval_size=8),
    )
    assert VERIFIED not in plain[-1]
