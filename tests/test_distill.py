"""Distillation: students have the promised sizes, cross-entropy on the tutor's traces teaches a
fresh student, the compute accounting is exact, metadata filters select what they say, and
the tutor's first RL steps reproduce the shipped log bit for bit (the per-seed students:
``test_distill_seeds.py``)."""

import json

import pytest
import torch

from reasonlab.core.utils import set_seed
from reasonlab.shipped import distill, zoo
from reasonlab.training.rl import train_rlvr
from reasonlab.world.policy import ModelConfig, Policy


@pytest.mark.parametrize("fraction", [0.25, 0.5])
def test_student_config_has_the_asked_share_of_parameters(fraction):
    tutor = ModelConfig()
    cfg = distill.student_config(fraction, tutor)
    share = Policy(cfg).num_parameters() / Policy(tutor).num_parameters()
    assert abs(share - fraction) < 0.02
    assert (cfg.n_layer, cfg.n_head, cfg.block_size) == (tutor.n_layer, tutor.n_head, 128)
    assert cfg.n_embd % cfg.n_head == 0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_student_config_rejects_bad_fractions(bad):
    with pytest.raises(ValueError, match="fraction"):
        distill.student_config(bad)


RECORDS = [
    {"prompt": "1+2=", "completion": "#### 3", "step": 1, "meta": {"how": "####"}},
    {
        "prompt": "1+3=",
        "completion": "<think>1+3=4</think>#### 4",
        "step": 5,
        "meta": {"how": "####"},
    },
    {"prompt": "1+4=", "completion": "<think>1+4=5</think>5", "step": 9, "meta": {"how": "last"}},
]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, ["1+2=", "1+3=", "1+4="]),
        ({"min_step": 5}, ["1+3=", "1+4="]),
        ({"max_step": 5}, ["1+2=", "1+3="]),
        ({"think": True}, ["1+3=", "1+4="]),
        ({"think": False}, ["1+2="]),
        ({"how": "####"}, ["1+2=", "1+3="]),
        ({"min_step": 2, "how": "####"}, ["1+3="]),
    ],
)
def test_select_traces_filters_by_logged_metadata(kw, expected):
    assert [r["prompt"] for r in distill.select_traces(RECORDS, **kw)] == expected


def test_train_ce_spends_the_budget_and_mixes_sources_by_share():
    set_seed(0)
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    traces = distill.trace_examples(tok, RECORDS)
    plain = distill.plain_examples(tok, 5, domains=("logic",))
    per_step = 6 * pol.num_parameters() * 8 * 20  # a rough batch, to ask for a few steps
    seen = []
    h = distill.train_ce(
        pol,
        [traces, plain],
        flops=3 * per_step,
        shares=[0.0, 1.0],
        batch_size=8,
        callback=seen.append,
    )
    assert seen == h
    # Exactly enough steps: the budget is reached by the last step and not before it.
    assert h[-1]["flops"] >= 3 * per_step > (h[-2]["flops"] if len(h) > 1 else 0)
    # With share 1 on the logic source every token came from it (all prompts start "max(").
    logic_tokens = sorted({distill.example_tokens(tok, ex) for ex in plain})
    assert all(
        (b["tokens"] - a["tokens"]) >= 8 * logic_tokens[0] for a, b in zip(h, h[1:], strict=False)
    )
    assert h[0]["flops"] == 6 * pol.num_parameters() * h[0]["tokens"]


@pytest.mark.parametrize(
    ("shares", "match"),
    [([0.5], "summing to 1"), ([0.7, 0.7], "summing to 1"), ([1.5, -0.5], "non-negative")],
)
def test_train_ce_rejects_bad_shares(shares, match):
    pol = Policy(distill.student_config(0.25))
    ex = distill.trace_examples(pol.tokenizer, RECORDS)
    with pytest.raises(ValueError, match=match):
        distill.train_ce(pol, [ex, ex], flops=1.0, shares=shares)


def test_distilling_tutor_traces_teaches_a_fresh_student():
    """A random quarter-size student, a few seconds of cross-entropy on the tutor's shipped
    log: the held-out loss on traces it never saw falls by more than half."""
    set_seed(0)
    traces = distill.tutor_traces()
    train, held = traces[:-200], traces[-200:]
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    held_ex = distill.trace_examples(tok, held)

    def held_loss() -> float:
        with torch.no_grad():
            return float(
                distill.bucketed_cross_entropy(pol, *map(list, zip(*held_ex, strict=True)))
            )

    before = held_loss()
    ex = distill.trace_examples(tok, train)
    distill.train_ce(pol, [ex], flops=6 * pol.num_parameters() * 64 * 35 * 60, lr=3e-3)
    after = held_loss()
    assert after < 0.5 * before, (before, after)


def test_rl_flops_counts_sampling_and_training_per_update():
    cfg = zoo.default_rl_config()
    hist = [{"step": 0}, {"step": 1, "completion/mean_tokens": 10.0}]
    n = 1000
    expected = 8 * n * cfg.prompts_per_step * cfg.num_samples * (6.0 + 10.0)
    assert distill.rl_flops(hist, cfg, n, prompt_tokens=6.0) == expected


# ----------------------------------------------------------------------------- shipped results


def test_tutor_log_reproduces_from_the_first_rl_steps(tmp_path):
    """Rerunning the tutor's RL for two updates from the shipped base logs exactly the shipped
    log's records of steps 1 and 2 (same prompts, completions, metadata)."""
    shipped = [r for r in distill.tutor_traces() if r["step"] <= 2]
    policy = zoo.load("base")
    policy.name = distill.TUTOR
    from dataclasses import replace

    cfg = replace(zoo.default_rl_config(), steps=2, eval_size=2)  # evaluation is not training
    path = tmp_path / "log.jsonl"
    train_rlvr(policy, distill.rl_problems(), cfg, trajectories=path, progress=False)
    from reasonlab.training.trajectories import read

    rerun = json.loads(json.dumps(read(path)))
    assert len(shipped) > 100
    assert rerun == shipped
