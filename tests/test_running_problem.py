"""The running problem of notebooks 03, 04, 05 and 09 is what its module's docstring says it is."""

from __future__ import annotations

import pytest

import reasonlab as rl
from reasonlab.shipped import running_problem as rp


def test_the_prompt_is_a_held_out_three_digit_sum():
    p = rp.problem()
    assert p.prompt == rp.PROMPT
    assert p.difficulty == 3 and p.split == "test"
    assert int(p.answer) == sum(p.operands)


@pytest.mark.slow
def test_choice_is_rerun_from_the_shipped_base():
    """The base solves it on some but not all samples, and most often among such candidates."""
    chosen, solved = rp.choose(rl.zoo.load("base"))
    assert chosen.prompt == rp.PROMPT
    i = [p.prompt for p in rp.candidates()].index(rp.PROMPT)
    assert 0 < solved[i] < rp.NUM_SAMPLES
    assert solved[i] == max(c for c in solved if c < rp.NUM_SAMPLES)
    assert i == min(j for j, c in enumerate(solved) if c == solved[i])  # ties: the earliest


def test_samples_are_those_the_choice_saw():
    """Some kept and some dropped by STaR; non-zero group advantages; more than one answer."""
    drawn = rp.samples(rl.zoo.load("base"))
    assert drawn.num_samples == rp.NUM_SAMPLES
    rows = rp.sample_rows(drawn)
    assert {r["STaR"] for r in rows} == {"keep", "drop"}
    assert sum(len(r["samples"].split(", ")) for r in rows) == rp.NUM_SAMPLES
    assert all(r["group"] != 0 for r in rp.advantage_rows(drawn))
    assert len(rp.votes(drawn)) > 1
    at_k = rp.at_k_rows(drawn)
    assert at_k[0]["pass@k"] == pytest.approx(at_k[0]["majority@k"])  # one voter: the same
    assert [r["pass@k"] for r in at_k] == sorted(r["pass@k"] for r in at_k)


def test_samples_are_deterministic():
    base = rl.zoo.load("base")
    assert rp.samples(base).completions == rp.samples(base).completions
