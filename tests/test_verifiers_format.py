"""format_reward: the think-then-answer layout, and how cheaply it is gamed."""

from __future__ import annotations

import pytest

from reasonlab.verifiers import format_reward, verify_math


@pytest.mark.parametrize(
    "completion, reward, failed",
    [
        ("<think>3 + 4 = 7</think> #### 7", 1.0, None),
        ("  <think>\nsteps\n</think>\n<answer>7</answer>\n", 1.0, None),
        ("#### 7", 0.0, "starts_with_think"),
        ("<think>3 + 4 = 7 #### 7", 0.0, "one_think_block"),
        ("<think>a</think><think>b</think> 7", 0.0, "one_think_block"),
        ("<think>   </think> 7", 0.0, "think_nonempty"),
        ("<think>3 + 4 = 7</think>   ", 0.0, "answer_after_think"),
        ("I think <think>x</think> 7", 0.0, "starts_with_think"),
    ],
)
def test_format_reward(completion, reward, failed):
    r = format_reward(completion)
    assert r.reward == reward
    if failed is not None:
        assert r.meta[failed] is False and failed in r.reason


def test_format_reward_is_gamed_by_empty_ritual():
    """The point the book makes: perfect format, wrong answer."""
    gamed = "<think>.</think> #### 0"
    assert format_reward(gamed).reward == 1.0
    assert verify_math(gamed, "936").reward == 0.0


def test_non_string_never_raises():
    assert format_reward(None).reward == 0.0  # type: ignore[arg-type]
