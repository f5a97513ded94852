"""The labs: each lab's compute layer, and that the artifacts are real.

The machinery they share has its own tests (``test_controls.py``, ``test_frames.py``,
``test_live.py``, ``test_static.py``), as has the reward explorer's curve fit
(``test_extrapolation.py``). Browser tests of the built lab pages are in ``test_labs_site.py``.
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from reasonlab.labs import chain, reward_explorer, store, tradeoffs
from reasonlab.world import tasks

# ------------------------------------------------------------------- chain lab: step checks


def problem_dict(p: tasks.Problem) -> dict:
    return {"domain": p.domain, "operands": [str(o) for o in p.operands]}


@pytest.mark.parametrize("domain", tasks.DOMAINS)
def test_every_step_of_a_correct_demonstration_checks_out(domain):
    for p in tasks.make(domain, 12, seed=3, split="test"):
        text = tasks.demonstration_text(p, think=True)
        steps = chain.check_steps(problem_dict(p), text)
        assert steps, text
        assert all(s.ok is not False for s in steps), (text, steps)
        assert sum(s.ok is True for s in steps) >= len(steps) - 1  # at most the rewrite is neutral


def test_self_checks_and_revisions_are_read_as_the_revised_step():
    p = tasks.make("math", 1, difficulty=4, seed=3, split="test")[0]
    segs = tasks.demonstration(p, think=True, rng=random.Random(1), check_rate=1.0, error_rate=0.5)
    text = "".join(t for t, _ in segs)
    assert "<wait>" in text
    steps = chain.check_steps(problem_dict(p), text)
    assert all(s.ok for s in steps)
    assert any(s.note.startswith("revised") for s in steps)


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("<think>5+6=11,4+7+1=12,9+4+1=14</think>#### 1421", [True, True, True]),
        ("<think>5+6=11,4+7+1=13,9+4+1=14</think>#### 1431", [True, False, True]),
        ("<think>5+6=11,4+7=11,9+4+1=14</think>#### 1411", [True, False, True]),  # lost carry
        ("<think>5+6=11,4+8+1=13</think>#### 1331", [True, False]),  # wrong column digit
        ("<think>5+6=11<check>11-6=4</think>#### 11", [False]),  # its own check is wrong
        ("#### 1421", []),
    ],
)
def test_math_steps_catch_wrong_sums_carries_and_digits(completion, expected):
    steps = chain.check_steps({"domain": "math", "operands": ["945", "476"]}, completion)
    assert [s.ok for s in steps] == expected


def test_logic_and_code_steps_are_recomputed():
    logic = {"domain": "logic", "operands": ["8.24", "8.92"]}
    assert [
        s.ok for s in chain.check_steps(logic, "<think>8.24|8.92,8=8,2<9</think>#### 8.92")
    ] == [True, True, True]
    assert [s.ok for s in chain.check_steps(logic, "<think>8.24|8.9,8=8,2>9</think>#### 8.24")] == [
        False,
        True,
        False,
    ]
    code = {"domain": "code", "operands": ["7", "8"]}
    bad = "<think>a=(-45--40)/(8-7)=-4,b=-40--5*7=-5</think>#### -5*x-5"
    assert [s.ok for s in chain.check_steps(code, bad)] == [False, True]


def test_check_steps_never_raises_on_garbage():
    rng = random.Random(0)
    alphabet = "0123456789+-*/=.,<>|() ab" + "".join(
        ["<think>", "</think>", "<check>", "<wait>", "#### "] * 3
    )
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for prob in (
            {"domain": "math", "operands": ["12", "345"]},
            {"domain": "logic", "operands": ["1.5", "1.25"]},
            {"domain": "code"},
        ):
            for s in chain.check_steps(prob, "<think>" + text):
                assert s.ok in (True, False, None)


# ------------------------------------------------------------------- compute on artifacts


def defaults(lab) -> dict:
    return {c.name: c.default for c in lab.controls()}


def test_tradeoffs_rows_obey_the_inequalities_that_must_hold():
    rows = store.load("tradeoffs")["rows"]
    assert {r["policy"] for r in rows} == set(tradeoffs.POLICIES)
    cells = len(tradeoffs.POLICIES) * len(tradeoffs.BUDGETS) * len(tradeoffs.KS)
    assert len(rows) == cells * (len(tradeoffs.DIGITS) + 1)  # each difficulty, and all
    assert {r["digits"] for r in rows} == {*tradeoffs.DIGITS, "all"}
    for r in rows:
        # pass@k is the oracle's ceiling: no aggregation of the same k samples beats it.
        assert r["pass_at_k"] >= r["majority_at_k"] - 1e-9
        assert r["pass_at_k"] >= r["best_of_k/confidence"] - 1e-9
        assert r["tokens/max"] <= r["tokens/total"] + 1e-9
    by = {(r["policy"], r["digits"], r["budget_tokens"]): [] for r in rows}
    for r in rows:
        by[(r["policy"], r["digits"], r["budget_tokens"])].append(r)
    for group in by.values():
        group.sort(key=lambda r: r["k"])
        for lo, hi in itertools.pairwise(group):
            assert hi["pass_at_k"] >= lo["pass_at_k"] - 1e-9  # more samples, more chances
            assert hi["tokens/total"] > lo["tokens/total"]  # ... and more to pay


def test_tradeoffs_compute_cost_latency_and_frontier():
    p = defaults(tradeoffs)
    costs = [tradeoffs.compute(p | {"k": k})["dollars"] for k in tradeoffs.KS]
    assert all(b > a for a, b in itertools.pairwise(costs))  # cost grows with k
    par = tradeoffs.compute(p | {"mode": "parallel", "k": 8})
    seq = tradeoffs.compute(p | {"mode": "sequential", "k": 8})
    assert par["seconds"] <= seq["seconds"] and par["dollars"] == seq["dollars"]
    fast = tradeoffs.compute(p | {"speed": 200})
    slow = tradeoffs.compute(p | {"speed": 20})
    assert math.isclose(slow["seconds"], 10 * fast["seconds"])
    d = tradeoffs.compute(p)
    fr = d["frontier"]
    assert all(
        b["tokens"] >= a["tokens"] and b["accuracy"] > a["accuracy"]
        for a, b in itertools.pairwise(fr)
    )
    # Nothing off the frontier is both cheaper and more accurate than a frontier point.
    for q in d["points"]:
        assert not any(q["tokens"] < f["tokens"] and q["accuracy"] > f["accuracy"] for f in fr)
    for agg in ("majority_at_k", "best_of_k/confidence"):
        assert (
            tradeoffs.compute(p | {"aggregation": agg})["accuracy"]
            <= tradeoffs.compute(p | {"aggregation": "pass_at_k"})["accuracy"] + 1e-9
        )


def test_tradeoffs_all_rows_are_the_mean_of_the_difficulties():
    rows = store.load("tradeoffs")["rows"]
    per = {(r["policy"], r["digits"], r["budget_tokens"], r["k"]): r for r in rows}
    for (policy, digits, budget, k), r in per.items():
        if digits != "all":
            continue
        parts = [per[(policy, d, budget, k)] for d in tradeoffs.DIGITS]
        for key in ("pass_at_k", "majority_at_k", "tokens/total"):
            assert r[key] == pytest.approx(sum(q[key] for q in parts) / 4, abs=1e-6)
        assert r["num_problems"] == sum(q["num_problems"] for q in parts)


def test_tradeoffs_adaptive_allocation_never_loses_and_stays_in_budget():
    p = defaults(tradeoffs)
    gains = []
    for policy, (agg, _), budget, k in itertools.product(
        tradeoffs.POLICIES, tradeoffs.AGGREGATIONS, tradeoffs.BUDGETS, tradeoffs.KS
    ):
        d = tradeoffs.compute(p | {"policy": policy, "aggregation": agg, "budget": budget, "k": k})
        # the uniform choice is itself an allocation, so the best one is at least as good
        assert d["adaptive_accuracy"] >= d["accuracy"] - 1e-6
        assert d["adaptive_tokens"] <= d["tokens"] + 1e-6
        gains.append(d["adaptive_accuracy"] - d["accuracy"])
        rows = d["per_difficulty"]
        assert [r["digits"] for r in rows] == list(tradeoffs.DIGITS)
        assert d["adaptive_accuracy"] == pytest.approx(
            sum(r["adaptive_accuracy"] for r in rows) / 4, abs=1e-9
        )
        assert d["adaptive_tokens"] == pytest.approx(
            sum(r["adaptive_tokens"] for r in rows) / 4, abs=1e-9
        )
    assert max(gains) > 0.05  # some uniform choices waste tokens that difficulty-aware spend fixes
    fr = tradeoffs.adaptive_frontier("rlvr", "majority_at_k")
    assert all(
        b["tokens"] >= a["tokens"] and b["accuracy"] > a["accuracy"]
        for a, b in itertools.pairwise(fr)
    )


def test_tradeoffs_adaptive_frontier_is_the_brute_force_one():
    # every one of the (budget, k)^4 allocations, scored directly, on the rlvr policy
    per = {
        (r["digits"], r["budget_tokens"], r["k"]): r
        for r in store.load("tradeoffs")["rows"]
        if r["policy"] == "rlvr" and r["digits"] != "all"
    }
    cells = list(itertools.product(tradeoffs.BUDGETS, tradeoffs.KS))
    best = {}
    for token_cap in (30.0, 60.0, 120.0):
        top = -1.0
        for picks in itertools.product(cells[::3], repeat=4):  # a subsample keeps it quick
            rows = [per[(d, b, k)] for d, (b, k) in zip(tradeoffs.DIGITS, picks, strict=True)]
            tok = sum(r["tokens/total"] for r in rows) / 4
            if tok <= token_cap:
                top = max(top, sum(r["majority_at_k"] for r in rows) / 4)
        best[token_cap] = top
        got = tradeoffs.adaptive_at("rlvr", "majority_at_k", token_cap)
        assert got["accuracy"] >= top - 1e-9 and got["tokens"] <= token_cap + 1e-6


def test_tradeoffs_data_come_from_the_recorded_sweep():
    rows = {
        (r["policy"], r["budget_tokens"], r["k"]): r
        for r in store.load("tradeoffs")["rows"]
        if r["digits"] == "all"
    }
    for policy, budget, k in [("base", 0, 1), ("rlvr", -1, 16), ("rlvr", 8, 4)]:
        d = tradeoffs.compute(
            defaults(tradeoffs)
            | {"policy": policy, "budget": budget, "k": k, "aggregation": "pass_at_k"}
        )
        assert d["accuracy"] == rows[(policy, budget, k)]["pass_at_k"]
        assert d["tokens"] == rows[(policy, budget, k)]["tokens/total"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"k": 3}, "k must be one of"),
        ({"policy": "gpt"}, "policy"),
        ({"price": -1}, "price"),
        ({"mode": "async"}, "mode"),
    ],
)
def test_tradeoffs_bad_params_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        tradeoffs.compute(defaults(tradeoffs) | params)


def test_reward_explorer_curves_are_the_recorded_runs():
    art = store.load("reward_explorer")
    assert len(art["runs"]) == (
        len(art["run"]["domains"])
        * len(reward_explorer.BASELINES)
        * len(reward_explorer.GROUP_SIZES)
    )
    p = defaults(reward_explorer)
    d = reward_explorer.compute(p)
    assert art["run"]["domains"] == list(reward_explorer.DOMAINS)  # math, logic and code
    assert art["run"]["bases"] == reward_explorer.BASES
    for dom in reward_explorer.recorded_domains():
        h = art["runs"][f"{dom}/{p['baseline']}/{p['group_size']}"]
        np.testing.assert_array_equal(d["curves"][dom]["pass_rate"], [r["pass_rate"] for r in h])
        assert h[0]["step"] == 0 and h[-1]["step"] == art["run"]["steps"]
    for h in art["runs"].values():
        assert all(0 <= r["pass_rate"] <= 1 for r in h)
        assert all(0 <= r["frac_reward_zero_std"] <= 1 for r in h[1:])


def test_reward_explorer_measured_inside_extrapolated_outside():
    p = defaults(reward_explorer)
    last = store.load("reward_explorer")["run"]["steps"]
    inside = reward_explorer.compute(p | {"passes": last})
    h = store.load("reward_explorer")["runs"][f"{p['domain']}/{p['baseline']}/{p['group_size']}"]
    assert inside["measured"] and inside["pass_rate"] == h[-1]["pass_rate"]
    assert math.isclose(inside["gain"], h[-1]["pass_rate"] - h[0]["pass_rate"])
    out = reward_explorer.compute(p | {"passes": max(reward_explorer.PASSES)})
    assert not out["measured"]
    assert out["low"] <= out["pass_rate"] + 1e-9 <= out["high"] + 2e-9
    # The fit saturates: its value far out never exceeds the fitted ceiling.
    assert out["pass_rate"] <= out["fit"]["ceiling"] + 1e-9
    with pytest.raises(ValueError, match="baseline"):
        reward_explorer.compute(p | {"baseline": "ppo"})


def test_chain_compute_follows_the_step_slider_and_the_recorded_verdicts():
    art = store.load("chain")
    p = defaults(chain)
    full = chain.compute(p)
    assert full["complete"] and full["shown"] == len(full["steps"])
    i = next(
        j
        for j, q in enumerate(art["problems"])
        if q["domain"] == p["domain"] and q["difficulty"] == p["difficulty"]
    )
    assert full["completion"] == art["chains"][f"{i}/{p['checkpoint']}"]["completion"]
    assert full["reward"] == art["chains"][f"{i}/{p['checkpoint']}"]["reward"]
    assert [h["checkpoint"] for h in full["history"]] == art["checkpoints"]
    partial = chain.compute(p | {"step": 0})
    assert partial["shown"] == 0 and (partial["complete"] == (len(partial["steps"]) == 0))
    html = chain.render(partial)
    assert "not reached yet" in html or not partial["steps"]
    # Revise until verified stops at the first accepted attempt.
    for attempts in art["revisions"].values():
        assert all(a["reward"] < 1 for a in attempts[:-1])
        assert len(attempts) <= chain.MAX_ATTEMPTS


def test_chain_rlvr_checkpoints_verify_at_least_as_often_as_the_base():
    art = store.load("chain")
    first, last = art["checkpoints"][0], art["checkpoints"][-1]
    solved = {
        c: sum(art["chains"][f"{i}/{c}"]["reward"] for i in range(len(art["problems"])))
        for c in (first, last)
    }
    assert solved[last] >= solved[first], solved


# ------------------------------------------------------------------- artifacts = builds


@pytest.mark.slow
def test_chain_artifact_matches_a_rebuild_of_the_base_checkpoint():
    fresh = chain.build(quick=True)
    art = store.load("chain")
    assert fresh["problems"] == art["problems"]
    for key, value in fresh["chains"].items():
        assert art["chains"][key] == value, key
    for key, value in fresh["revisions"].items():
        assert art["revisions"][key] == value, key


@pytest.mark.slow
def test_tradeoffs_artifact_matches_a_rebuild_of_one_budget():
    fresh = tradeoffs.build(quick=True)["rows"]
    stored = {
        (r["policy"], r["digits"], r["budget_tokens"], r["k"]): r
        for r in store.load("tradeoffs")["rows"]
    }
    assert fresh
    for r in fresh:
        assert stored[(r["policy"], r["digits"], r["budget_tokens"], r["k"])] == r


@pytest.mark.slow
def test_reward_explorer_artifact_matches_a_rerun_of_one_cell_per_domain():
    fresh = reward_explorer.build(quick=True)["runs"]
    assert {k.split("/")[0] for k in fresh} == set(reward_explorer.DOMAINS)
    stored = store.load("reward_explorer")["runs"]
    for key, points in fresh.items():
        # The quick run is the same run stopped early: its evaluations are a prefix.
        assert stored[key][: len(points)] == points, key
