"""Evaluation: metrics computed right (checked with an oracle policy), and the base policy's
defining property: thinking is far more accurate on hard problems than answering directly."""

import math
from types import SimpleNamespace

import pytest

import reasonlab as rl
from reasonlab.measurement.evaluation import evaluate, self_check_stats, summarize
from reasonlab.world import tasks


class Oracle:
    """Writes the demonstration; thinks on problems whose difficulty is in ``think_on``;
    answers wrong on those in ``wrong_on``."""

    def __init__(self, problems, think_on=(), wrong_on=()):
        self.by_prompt = {p.prompt: p for p in problems}
        self.think_on, self.wrong_on = think_on, wrong_on

    def sample(self, prompts, *, num_samples=1, **kw):
        comps = []
        for q in prompts:
            p = self.by_prompt[q]
            c = tasks.demonstration_text(p, think=p.difficulty in self.think_on)
            if p.difficulty in self.wrong_on:
                c = c.rsplit("#### ", 1)[0] + "#### 99999"
            comps += [c] * num_samples
        return SimpleNamespace(completions=comps, num_tokens=[len(c) for c in comps])


def test_metrics_with_an_oracle():
    probs = tasks.make("math", 40, seed=0, split="test")
    m = evaluate(Oracle(probs, think_on=(3, 4), wrong_on=(1,)), probs, greedy=False, num_samples=2)
    assert m["pass_rate"] == pytest.approx(0.75)
    assert m["pass_rate/d1"] == 0.0 and m["pass_rate/d4"] == 1.0
    assert m["think/usage"] == pytest.approx(0.5)
    assert m["think/usage/d3"] == 1.0 and m["think/usage/d2"] == 0.0
    assert m["coverage"] == pytest.approx(0.75)
    assert m["completion/mean_tokens/d4"] > 2 * m["completion/mean_tokens/d2"]
    assert m["tokens_per_answer"] == pytest.approx(2 * m["completion/mean_tokens"])


def test_coverage_counts_prompts_solved_at_least_once():
    probs = tasks.make("math", 2, seed=0)
    rows = [probs[0]] * 3 + [probs[1]] * 3
    m = summarize(rows, ["a"] * 6, [0, 0, 1, 0, 0, 0], [1] * 6, num_samples=3)
    assert m["coverage"] == 0.5 and m["pass_rate"] == pytest.approx(1 / 6)


def test_greedy_needs_one_sample():
    probs = tasks.make("math", 2, seed=0)
    with pytest.raises(ValueError, match="num_samples=1"):
        evaluate(Oracle(probs), probs, greedy=True, num_samples=4)


def test_self_check_stats_reads_checks_and_revisions():
    comps = [
        "<think>7+9=16<check>16-9=7,4+8+1=13</think>#### 136",  # right step, checked
        "<think>7+9=15<check>15-9=6<wait>7+9=16,4+8+1=13</think>#### 136",  # caught, fixed
        "<think>7+9=15,4+8+1=13</think>#### 136",  # wrong, unchecked
        "<think>7+9=16<check>16-9=7<wait>7+9=17</think>#### 17",  # false alarm, bad fix
        "#### 136",
    ]
    s = self_check_stats(comps)
    assert s["steps"] == 7
    assert s["step_error_rate"] == pytest.approx(2 / 7)
    assert s["checks_per_step"] == pytest.approx(3 / 7)
    assert s["caught"] == 1.0  # the one wrong checked step was revised
    assert s["false_alarms"] == 0.5
    assert s["fixed"] == 0.5
    assert s["completions_with_wait"] == pytest.approx(2 / 5)
    assert math.isnan(self_check_stats([])["caught"])


def test_base_policy_thinks_rarely_but_thinking_wins_on_hard_problems():
    base = rl.zoo.load("base")
    hard = tasks.make("math", 60, difficulty=4, seed=0, split="test")
    direct = evaluate(base, hard, greedy=True)
    forced = evaluate(base, hard, greedy=True, min_think_tokens=1)
    sampled = evaluate(base, tasks.make("math", 200, seed=0, split="test"), greedy=False)
    assert direct["think/usage"] < 0.1 and sampled["think/usage"] < 0.5
    assert forced["think/usage"] == 1.0
    assert forced["pass_rate"] > direct["pass_rate"] + 0.5
