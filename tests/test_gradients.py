"""The gradient studies: STaR's gradient is REINFORCE's up to one factor, a running mean pushes
hard problems down while the group baseline does not, and each baseline's gradient noise."""

import pytest
import torch

from reasonlab.shipped import experiments as ex
from reasonlab.shipped import gradients, zoo
from reasonlab.training.rl import BASELINES
from reasonlab.world import tasks


@pytest.fixture(scope="module")
def base():
    return zoo.load("base")


def test_star_gradient_is_reinforce_up_to_its_factor(base):
    g = gradients.star_reinforce_gradients(base, tasks.make("math", 12, seed=3), seed=3)
    assert 0 < g["n_success"] < g["n"]  # both successes and failures in the batch
    assert torch.allclose(g["grad_star"], g["scale"] * g["grad_reinforce"], atol=1e-6)
    # The check can fail: without the factor, or with a baseline, the gradients differ.
    assert not torch.allclose(g["grad_star"], g["grad_reinforce"], atol=1e-6)
    assert g["scale"] == pytest.approx(g["n"] / g["n_success"])


def test_star_gradient_refuses_a_batch_without_success(base):
    hard = [p for p in ex.held_out_problems(40) if p.difficulty == 4][:2]
    with pytest.raises(ValueError, match="no verified success"):
        gradients.star_reinforce_gradients(base, hard, num_samples=1, seed=1)


def test_running_mean_pushes_hard_problems_down_group_does_not(base):
    held_out = ex.held_out_problems(80, seed=0)
    table = gradients.advantage_by_difficulty(base, held_out, baselines=("ema", "group"), seed=0)
    ema = {r["difficulty"]: r for r in table if r["baseline"] == "ema"}
    group = {r["difficulty"]: r for r in table if r["baseline"] == "group"}
    assert ema[4]["adv/mean"] < 0 < ema[1]["adv/mean"]
    assert ema[4]["frac_negative"] > 0.5
    for d in (1, 2, 3, 4):  # leave-one-out centres every prompt: no net push per difficulty
        assert abs(group[d]["adv/mean"]) < 1e-6
    # On hard problems the group baseline rewards thinking relative to answering directly.
    assert group[4]["adv/think"] > group[4]["adv/direct"]
    with pytest.raises(ValueError, match="learned"):
        gradients.advantage_by_difficulty(base, held_out[:4], baselines=("critic",))


def test_gradient_variance_table(base):
    probs = ex.train_problems()
    kw = dict(num_batches=3, prompts_per_step=4, num_samples=4, value_samples=4, seed=0)
    table = gradients.gradient_variance(base, probs, **kw)
    assert [r["baseline"] for r in table] == list(BASELINES)
    rows = {r["baseline"]: r for r in table}
    for r in table:
        assert r["var/total"] > 0 and r["mean_norm"] > 0
        assert r["snr"] == pytest.approx(r["mean_norm"] ** 2 / r["var/total"])
        assert -1 <= r["cos_to_mean"] <= 1
    # Group baselines zero every advantage of a group without signal, and GRPO's z-score only
    # rescales the leave-one-out advantages: same zeros.
    assert rows["group"]["frac_zero_adv"] == rows["group_std"]["frac_zero_adv"] > 0
    assert rows["ema"]["frac_zero_adv"] < rows["group"]["frac_zero_adv"]
    assert gradients.gradient_variance(base, probs, **kw) == table
    with pytest.raises(ValueError, match="num_batches"):
        gradients.gradient_variance(base, probs, num_batches=1)
    with pytest.raises(ValueError, match="unknown baseline"):
        gradients.gradient_variance(base, probs, baselines=("median",), num_batches=2)
