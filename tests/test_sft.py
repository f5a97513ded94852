"""SFT: cross-entropy learns, training is bit-identical for one seed, and STaR is REINFORCE
with a 0/1 reward and no baseline (the loss and the loop itself: tests/test_ce.py)."""

import pytest
import torch

from reasonlab.core.utils import set_seed
from reasonlab.training import sft
from reasonlab.training.rl import RLConfig
from reasonlab.training.sft import SFTConfig
from reasonlab.world import tasks
from reasonlab.world.policy import Policy

TINY = SFTConfig(steps=25, batch_size=24, pool=300, lr=3e-3, warmup=5)


def test_direct_answers_teach_digits_only_up_to_direct_max_difficulty():
    """Above ``direct_max_difficulty`` a direct answer trains its marker and end of sequence,
    never its digits; thinking demonstrations train every step and the answer."""
    import random

    pol = Policy()
    tok = pol.tokenizer
    probs = tasks.make("math", 40, seed=0)
    think = [i % 2 == 0 for i in range(40)]
    for limit in (1, 2, None):
        cfg = SFTConfig(direct_max_difficulty=limit)
        _, ids, w = sft.encode_demonstrations(pol, probs, think, random.Random(0), cfg)
        for p, th, c, wi in zip(probs, think, ids, w, strict=True):
            digits = len(tok.encode(p.answer))
            answer_w = wi[-1 - digits : -1]  # the answer's digits come just before the end
            muted = not th and limit is not None and p.difficulty > limit
            assert answer_w == [0.0 if muted else 1.0] * digits, (p, th, limit)
            assert wi[-1] == 1.0 and wi[-2 - digits] == 1.0  # end of sequence and "#### "
            assert c[-2 - digits] == tok.encode(tasks.ANSWER)[-1]
    assert {p.difficulty for p in probs} == {1, 2, 3, 4}


def test_train_base_learns_and_is_bit_identical():
    p1, h1 = sft.train_base(TINY, progress=False)
    p2, h2 = sft.train_base(TINY, progress=False)
    assert h1[-1]["loss"] < 0.65 * h1[0]["loss"]
    for (k, v1), v2 in zip(
        p1.model.state_dict().items(), p2.model.state_dict().values(), strict=True
    ):
        assert torch.equal(v1, v2), k
    assert [r["loss"] for r in h1] == [r["loss"] for r in h2]


def test_fit_memorises_pairs():
    set_seed(0)
    pol = Policy()
    probs = tasks.make("math", 4, difficulty=1, seed=3)
    comps = [tasks.demonstration_text(p, think=False) for p in probs]
    hist = sft.fit(pol, [p.prompt for p in probs], comps, steps=60, lr=3e-3)
    assert hist[-1]["loss"] < 0.2 * hist[0]["loss"]
    out = pol.sample([p.prompt for p in probs], temperature=0)
    assert out.completions == comps
    with pytest.raises(ValueError, match="equally many"):
        sft.fit(pol, ["1+1="], [], steps=1)


def test_star_is_reinforce_without_baseline_up_to_scale():
    """The STaR gradient points exactly where REINFORCE's does for 0/1 rewards (no baseline)."""
    set_seed(0)
    pol = Policy()
    probs = tasks.make("math", 8, seed=0)
    out = pol.sample([p.prompt for p in probs], num_samples=2, seed=0, max_new_tokens=8)
    reward = torch.tensor([1.0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0])
    prompts = [out.prompt_of(i) for i in range(len(out))]

    def grad(loss_fn):
        pol.model.zero_grad()
        loss_fn(pol.logprobs(prompts, out.token_ids)["logprobs"]).backward()
        return torch.cat([p.grad.flatten() for p in pol.model.parameters()])

    g_pg = grad(lambda lp: -(reward * lp).mean())
    g_star = grad(lambda lp: -(lp[reward > 0]).sum() / (reward > 0).sum())
    cos = torch.nn.functional.cosine_similarity(g_pg, g_star, dim=0)
    assert cos > 0.9999
    assert torch.allclose(g_star, g_pg * len(reward) / reward.sum(), atol=1e-6)


def test_star_runs_through_the_rl_loop():
    from reasonlab.shipped import zoo

    pol = zoo.load("base")
    probs = tasks.make("math", 64, difficulty=(3, 4), seed=0)
    cfg = RLConfig(steps=4, prompts_per_step=16, num_samples=4, lr=1e-3, eval_every=4, eval_size=40)
    hist = sft.star(pol, probs, cfg, progress=False)
    assert len(hist) == 5 and hist[-1]["step"] == 4
    # Successes on hard problems mostly think, so imitating them raises thinking.
    assert hist[-1]["eval/think/usage"] > hist[0]["eval/think/usage"]


def test_base_mixture_over_all_domains_runs():
    cfg = SFTConfig(domains=("math", "logic", "code"), steps=3, batch_size=12, pool=30)
    pol, hist = sft.train_base(cfg, progress=False)
    assert len(hist) == 3 and all(r["loss"] > 0 for r in hist)
    with pytest.raises(ValueError, match="think_frac"):
        sft.train_base(SFTConfig(think_frac=1.5), progress=False)
