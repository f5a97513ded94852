"""Distillation's budget: the compute accounting is exact, train_ce stops when the budget is spent
and mixes its sources by share, and cross-entropy on the tutor's traces teaches a fresh student."""

import pytest
import torch

from reasonlab.core.utils import set_seed
from reasonlab.shipped import distill, distill_budget, distill_data, zoo
from reasonlab.training import ce
from reasonlab.world.policy import Policy


def test_train_ce_spends_the_budget_and_mixes_sources_by_share():
    set_seed(0)
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    math_ = distill_data.plain_examples(tok, 5, domains=("math",))
    plain = distill_data.plain_examples(tok, 5, domains=("logic",))
    per_step = 6 * pol.num_parameters() * 8 * 20  # a rough batch, to ask for a few steps
    seen = []
    h = distill_budget.train_ce(
        pol,
        [math_, plain],
        flops=3 * per_step,
        shares=[0.0, 1.0],
        batch_size=8,
        callback=seen.append,
    )
    assert seen == h
    # Exactly enough steps: the budget is reached by the last step and not before it.
    assert h[-1]["flops"] >= 3 * per_step > (h[-2]["flops"] if len(h) > 1 else 0)
    # With share 1 on the logic source every token came from it (all prompts start "max(").
    logic_tokens = sorted({distill_budget.example_tokens(tok, ex) for ex in plain})
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
    ex = distill_data.plain_examples(pol.tokenizer, 3, domains=("math",))
    with pytest.raises(ValueError, match=match):
        distill_budget.train_ce(pol, [ex, ex], flops=1.0, shares=shares)


def test_distilling_tutor_traces_teaches_a_fresh_student():
    """A random quarter-size student, a few seconds of cross-entropy on the tutor's shipped
    log: the held-out loss on traces it never saw falls by more than half."""
    set_seed(0)
    traces = distill_data.tutor_traces()
    train, held = traces[:-200], traces[-200:]
    pol = Policy(distill.student_config(0.25))
    tok = pol.tokenizer
    held_ex = distill_data.trace_examples(tok, held)

    def held_loss() -> float:
        with torch.no_grad():
            return float(ce.bucketed_cross_entropy(pol, *map(list, zip(*held_ex, strict=True))))

    before = held_loss()
    ex = distill_data.trace_examples(tok, train)
    distill_budget.train_ce(pol, [ex], flops=6 * pol.num_parameters() * 64 * 35 * 60, lr=3e-3)
    after = held_loss()
    assert after < 0.5 * before, (before, after)


def test_rl_flops_counts_sampling_and_training_per_update():
    cfg = zoo.default_rl_config()
    hist = [{"step": 0}, {"step": 1, "completion/mean_tokens": 10.0}]
    n = 1000
    expected = 8 * n * cfg.prompts_per_step * cfg.num_samples * (6.0 + 10.0)
    assert distill_budget.rl_flops(hist, cfg, n, prompt_tokens=6.0) == expected
