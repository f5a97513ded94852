"""The bandit itself: the verifier's table, a seeded world, and the exact objective and gradient
(checked by brute force and finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

from reasonlab.measurement import bandit_world as bw


@pytest.fixture(scope="module")
def world() -> bw.Bandit:
    return bw.make_bandit(num_prompts=6, num_candidates=5, num_correct=2, seed=3)


# --- the verifier and the world -------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "answer", "expected"),
    [
        ("38+47=", "85", 1),
        ("38+47=", "#### 85", 1),
        ("38+47=", "85.0", 1),
        ("38+47=", "+85", 1),
        ("38+47=", "  85 ", 1),
        ("38+47=", "75", 0),  # dropped carry
        ("38+47=", "86", 0),
        ("38+47=", "", 0),
        ("38+47=", "eighty-five", 0),
        ("38+47=", "nan", 0),
        ("38+47=", "inf", 0),
        ("38+47=", "1e999", 0),
        ("38+47=", "#### ", 0),
        ("38+47=", None, 0),
        ("38+47=", 85, 0),  # not text: model output is a string or it is wrong
    ],
)
def test_verify_table(prompt, answer, expected):
    assert bw.verify(prompt, answer) == expected


@pytest.mark.parametrize("prompt", ["38+47", "a+b=", "38-47=", ""])
def test_verify_rejects_malformed_prompt(prompt):
    with pytest.raises(ValueError, match="prompt must look like"):
        bw.verify(prompt, "85")


@pytest.mark.parametrize(("num_candidates", "num_correct"), [(6, 1), (6, 2), (8, 3), (5, 4)])
def test_make_bandit_reward_table(num_candidates, num_correct):
    world = bw.make_bandit(10, num_candidates, num_correct, seed=1)
    assert world.shape == (10, num_candidates)
    assert len(set(world.prompts)) == 10
    # Exactly num_correct correct candidates per prompt, all distinct strings.
    assert (world.rewards.sum(axis=1) == num_correct).all()
    for prompt, answers, row in zip(world.prompts, world.candidates, world.rewards, strict=True):
        assert len(set(answers)) == num_candidates
        assert [bw.verify(prompt, a) for a in answers] == row.tolist()


def test_reward_table_is_read_only():
    world = bw.make_bandit(seed=0)
    with pytest.raises(ValueError, match="read-only"):
        world.rewards[0, 0] = 1.0


def test_make_bandit_is_seeded():
    a, b, c = bw.make_bandit(seed=5), bw.make_bandit(seed=5), bw.make_bandit(seed=6)
    assert a.prompts == b.prompts and a.candidates == b.candidates
    assert np.array_equal(a.rewards, b.rewards)
    assert a.prompts != c.prompts


# --- exact objective and gradient -----------------------------------------------------------


def test_expected_reward_is_the_brute_force_sum(world):
    theta = bw.init_logits(world, seed=1)
    brute = np.mean(
        [
            sum(np.exp(t[k]) / np.exp(t).sum() * world.rewards[x, k] for k in range(len(t)))
            for x, t in enumerate(theta)
        ]
    )
    assert bw.expected_reward(theta, world) == pytest.approx(brute, rel=1e-12)


def test_exact_gradient_matches_finite_differences(world):
    theta = bw.init_logits(world, scale=1.5, skill=0.5, seed=2)
    eps = 1e-6
    numeric = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[idx] = eps
        up = bw.expected_reward(theta + step, world)
        down = bw.expected_reward(theta - step, world)
        numeric[idx] = (up - down) / (2 * eps)
    np.testing.assert_allclose(bw.exact_gradient(theta, world), numeric, atol=1e-9)
