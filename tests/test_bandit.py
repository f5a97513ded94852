"""Tests of the toy softmax policy: sampling, REINFORCE with each baseline, its variance, training
(the world and its exact objective: tests/test_bandit_world.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from reasonlab.measurement import bandit as bd
from reasonlab.plots import bandit as bandit_plots

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_rlvr_objective.ipynb"


@pytest.fixture(scope="module")
def world() -> bd.Bandit:
    return bd.make_bandit(num_prompts=6, num_candidates=5, num_correct=2, seed=3)


# --- sampling from the policy ---------------------------------------------------------------


def test_sample_frequencies_match_the_policy(world):
    theta = bd.init_logits(world, seed=4)
    rng = np.random.default_rng(0)
    prompts, answers = bd.sample(theta, 20_000, 3, rng)
    pi = bd.softmax(theta)
    for x in range(world.shape[0]):
        drawn = answers[prompts == x].ravel()
        freq = np.bincount(drawn, minlength=world.shape[1]) / drawn.size
        se = np.sqrt(pi[x] * (1 - pi[x]) / drawn.size)
        assert np.all(np.abs(freq - pi[x]) < 5 * se + 1e-12)
    # Prompts are uniform.
    counts = np.bincount(prompts, minlength=world.shape[0]) / prompts.size
    assert np.allclose(counts, 1 / world.shape[0], atol=0.01)


def test_sample_is_seeded(world):
    theta = bd.init_logits(world, seed=4)
    a = bd.sample(theta, 7, 3, np.random.default_rng(9))
    b = bd.sample(theta, 7, 3, np.random.default_rng(9))
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


# --- baselines and the estimator ------------------------------------------------------------


def test_baseline_values_by_hand(world):
    theta = bd.init_logits(world, seed=0)
    prompts = np.array([0, 2])
    rewards = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    loo = bd.baseline_values(theta, world, prompts, rewards, "loo")
    np.testing.assert_allclose(loo, [[0.0, 0.5, 0.5], [0.5, 0.5, 1.0]])
    mean = bd.baseline_values(theta, world, prompts, rewards, "mean")
    value = (bd.softmax(theta) * world.rewards).sum(axis=1)
    np.testing.assert_allclose(mean, np.repeat(value[prompts][:, None], 3, axis=1))
    assert not bd.baseline_values(theta, world, prompts, rewards, "none").any()


def test_estimator_by_hand_for_one_sample(world):
    # One prompt, one answer: g[x] = V(x, y) * (onehot(y) - pi(.|x)), every other row 0.
    theta = bd.init_logits(world, seed=0)
    x, y = 1, int(np.argmax(world.rewards[1]))
    g = bd.reinforce_gradient(theta, world, np.array([x]), np.array([[y]]), "none")
    expected = np.zeros_like(theta)
    expected[x] = np.eye(world.shape[1])[y] - bd.softmax(theta[x])
    np.testing.assert_allclose(g, expected, atol=1e-15)


def test_gradient_stats_estimates_are_reinforce_estimates(world):
    # gradient_stats draws its N batches in one go; each must equal reinforce_gradient's estimate.
    theta = bd.init_logits(world, seed=5)
    for baseline in bd.BASELINES:
        stats = bd.gradient_stats(theta, world, baseline, 3, 2, num_estimates=2, seed=7)
        prompts, answers = bd.sample(theta, 6, 2, np.random.default_rng(7))
        one = [
            bd.reinforce_gradient(theta, world, prompts[i : i + 3], answers[i : i + 3], baseline)
            for i in (0, 3)
        ]
        np.testing.assert_allclose(stats["mean"], (one[0] + one[1]) / 2, atol=1e-15)
        np.testing.assert_allclose(stats["stderr"] ** 2 * 2, np.var(one, axis=0, ddof=1))


def _max_z(stats: dict) -> float:
    z = stats["z"][np.isfinite(stats["z"])]
    assert z.size >= stats["z"].size // 2  # most coordinates must be testable
    return float(np.abs(z).max())


@pytest.mark.parametrize("baseline", bd.BASELINES)
def test_estimator_is_unbiased_for_every_baseline(world, baseline):
    theta = bd.init_logits(world, skill=0.5, seed=1)
    stats = bd.gradient_stats(theta, world, baseline, 4, 3, num_estimates=4000, seed=11)
    # Every coordinate within a few standard errors of the exact gradient ...
    assert np.allclose(stats["mean"], stats["exact"], rtol=0, atol=4.5 * stats["stderr"].max())
    # ... and in z-scores: over 200 seeds of this check the largest |z| seen was 3.7, while
    # P(|z| > 4.5) is below 1e-5 per coordinate for an unbiased estimator.
    assert _max_z(stats) < 4.5


def test_the_unbiasedness_check_can_fail(world):
    # A baseline that depends on the sampled answer itself, b = V / 2, halves every estimate:
    # the same check must reject it.
    theta = bd.init_logits(world, skill=0.5, seed=1)
    stats = bd.gradient_stats(theta, world, "none", 4, 3, num_estimates=4000, seed=11)
    biased = dict(stats, z=(0.5 * stats["mean"] - stats["exact"]) / (0.5 * stats["stderr"]))
    assert _max_z(biased) > 4.5


def test_baselines_reduce_variance_when_several_answers_are_correct():
    world = bd.make_bandit(num_prompts=8, num_candidates=6, num_correct=2, seed=0)
    theta = bd.init_logits(world, skill=2.0, seed=0)  # pass rate about 0.76
    var = {
        b: bd.gradient_stats(theta, world, b, 8, 4, num_estimates=2000, seed=1)["total_var"]
        for b in bd.BASELINES
    }
    assert var["none"] / var["mean"] > 1.4
    assert var["none"] / var["loo"] > 1.2
    assert var["loo"] > var["mean"]  # loo pays for estimating b from G - 1 samples


def test_value_baseline_can_raise_variance_with_one_correct_answer():
    # The notebook's caveat: with one correct answer that is already likely, b(x) = V^pi(x) is
    # far from the variance-optimal baseline and the estimate gets noisier, not quieter.
    world = bd.make_bandit(num_prompts=8, num_candidates=6, num_correct=1, seed=0)
    theta = bd.init_logits(world, skill=4.0, seed=0)  # pass rate about 0.9
    var = {
        b: bd.gradient_stats(theta, world, b, 8, 4, num_estimates=2000, seed=1)["total_var"]
        for b in ("none", "mean")
    }
    assert var["none"] / var["mean"] < 0.8


def test_variance_sweep_rows():
    world = bd.make_bandit(num_prompts=4, num_candidates=4, num_correct=2, seed=0)
    rows = bd.variance_sweep(world, [0.0, 3.0], num_estimates=50)
    assert [r["skill"] for r in rows] == [0.0, 3.0]
    assert rows[1]["pass_rate"] > rows[0]["pass_rate"]
    assert all(r[f"var/{b}"] > 0 for r in rows for b in bd.BASELINES)


# --- training -------------------------------------------------------------------------------


@pytest.mark.parametrize("baseline", bd.BASELINES)
def test_training_raises_pass_rate(baseline):
    world = bd.make_bandit(seed=0)
    for seed in range(3):
        history = bd.train(world, bd.TrainConfig(baseline=baseline, seed=seed))
        first, last = history[0], history[-1]
        assert first["pass_rate"] < 0.5
        assert last["pass_rate"] > 0.9
        assert last["pass_rate/greedy"] >= first["pass_rate/greedy"]
        assert last["step"] == 60 and len(history) == 61


def test_history_keys_and_values():
    history = bd.train(bd.make_bandit(seed=0), bd.TrainConfig(baseline="loo", steps=5))
    keys = {
        "step",
        "reward/mean",
        "pass_rate",
        "pass_rate/greedy",
        "grad_norm",
        "grad_var",
        "frac_reward_zero_std",
        "frac_all_wrong",
        "entropy",
    }
    assert all(set(h) == keys for h in history[:-1])
    assert [h["step"] for h in history] == list(range(6))
    for h in history[:-1]:
        assert 0 <= h["reward/mean"] <= 1
        assert 0 <= h["frac_all_wrong"] <= h["frac_reward_zero_std"] <= 1
        assert h["grad_var"] >= 0 and h["entropy"] > 0


def test_same_seed_same_history_other_seed_other_history():
    world = bd.make_bandit(seed=0)
    a = bd.train(world, bd.TrainConfig(baseline="mean", seed=4, steps=20))
    b = bd.train(world, bd.TrainConfig(baseline="mean", seed=4, steps=20))
    c = bd.train(world, bd.TrainConfig(baseline="mean", seed=5, steps=20))
    assert a == b
    assert a != c


def test_saturated_policy_keeps_finite_metrics():
    # A huge step makes the softmax put exact zeros on some answers; entropy must not go NaN.
    history = bd.train(bd.make_bandit(seed=0), bd.TrainConfig(lr=1e4, steps=30))
    assert all(np.isfinite(v) for h in history for v in h.values())


def test_steps_to_reach():
    history = [{"step": 0, "pass_rate": 0.2}, {"step": 1, "pass_rate": 0.95}]
    assert bd.steps_to_reach(history, 0.9) == 1
    assert bd.steps_to_reach(history, 0.99) == -1


# --- bad input ------------------------------------------------------------------------------


def test_unknown_baseline_is_named(world):
    theta = bd.init_logits(world)
    prompts, answers = bd.sample(theta, 2, 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="baseline must be one of .*'critic'"):
        bd.reinforce_gradient(theta, world, prompts, answers, "critic")
    with pytest.raises(ValueError, match="baseline must be one of"):
        bd.TrainConfig(baseline="Mean")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be a positive int"),
        ({"batch_size": -1}, "batch_size must be a positive int"),
        ({"group_size": 0}, "group_size must be a positive int"),
        ({"batch_size": 2.5}, "batch_size must be a positive int"),
        ({"steps": True}, "steps must be a positive int"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"lr": float("nan")}, "lr must be > 0"),
        ({"baseline": "loo", "group_size": 1}, "loo' needs group_size >= 2"),
    ],
)
def test_bad_train_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bd.TrainConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_prompts": 0}, "num_prompts must be a positive int"),
        ({"num_candidates": -2}, "num_candidates must be a positive int"),
        ({"num_correct": 0}, "num_correct must be a positive int"),
        ({"num_candidates": 3, "num_correct": 3}, "num_correct must be at most"),
        ({"num_candidates": 9, "num_correct": 5}, "num_correct must be at most"),
    ],
)
def test_bad_bandit_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bd.make_bandit(**kwargs)


def test_bad_shapes_and_sizes(world):
    theta = bd.init_logits(world)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"theta must have shape \(6, 5\)"):
        bd.expected_reward(theta[:, :4], world)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        bd.sample(theta, 0, 2, rng)
    with pytest.raises(ValueError, match="group_size must be a positive int"):
        bd.sample(theta, 2, 0, rng)
    prompts, answers = bd.sample(theta, 3, 1, rng)
    with pytest.raises(ValueError, match="loo' needs group_size >= 2"):
        bd.reinforce_gradient(theta, world, prompts, answers, "loo")
    with pytest.raises(ValueError, match="num_estimates must be >= 2"):
        bd.gradient_stats(theta, world, "none", num_estimates=1)
    with pytest.raises(ValueError, match="scale must be >= 0"):
        bd.init_logits(world, scale=-1.0)


# --- plots ----------------------------------------------------------------------------------


def test_plots_return_labelled_figures():
    world = bd.make_bandit(num_prompts=4, num_candidates=4, seed=0)
    runs = {
        b: [bd.train(world, bd.TrainConfig(baseline=b, seed=s, steps=5)) for s in range(2)]
        for b in ("none", "mean")
    }
    fig = bandit_plots.plot_runs(runs)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert len(ax.get_legend().get_texts()) == 2
    assert fig.axes[1].get_yscale() == "log"
    sweep = bandit_plots.plot_variance_sweep(
        {"2 correct": bd.variance_sweep(world, [0, 1], num_estimates=20)}
    )
    assert isinstance(sweep, Figure) and sweep.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="runs\\['none'\\] is empty"):
        bandit_plots.plot_runs({"none": []})


# --- the notebook's copy of the estimator ---------------------------------------------------


def test_notebook_estimator_agrees_with_package():
    """The notebook shows the estimator in a few lines and says it is `reinforce_gradient`."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    mirrored = [c for c in cells if "mirrors-package" in c["metadata"].get("tags", [])]
    assert len(mirrored) == 1, "expected one cell tagged 'mirrors-package' in the notebook"
    namespace: dict = {"np": np, "rl": __import__("reasonlab")}
    exec("".join(mirrored[0]["source"]), namespace)  # noqa: S102 (our own notebook)
    world = bd.make_bandit(seed=2)
    rng = np.random.default_rng(0)
    for baseline in bd.BASELINES:
        theta = bd.init_logits(world, seed=rng.integers(100))
        prompts, answers = bd.sample(theta, 5, 4, rng)
        ours = namespace["reinforce"](theta, world.rewards, prompts, answers, baseline)
        theirs = bd.reinforce_gradient(theta, world, prompts, answers, baseline)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
