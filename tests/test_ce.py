"""The one cross-entropy loop: bucketing changes nothing but speed, the loop is plain AdamW on
the loss (bit for bit), and its rows say what the caller asked for."""

import random

import torch

from reasonlab.core.utils import set_seed
from reasonlab.training import ce, sft
from reasonlab.world import tasks
from reasonlab.world.policy import ModelConfig, Policy

TINY = sft.SFTConfig(steps=25, batch_size=24, pool=300, lr=3e-3, warmup=5)


def _examples(pol, n=12):
    probs = tasks.make("math", n, seed=0)
    think = [i % 3 == 0 for i in range(n)]
    return sft.encode_demonstrations(pol, probs, think, random.Random(0), TINY)


def test_bucketed_loss_equals_one_batch():
    set_seed(0)
    pol = Policy()
    prompts, ids, w = _examples(pol)
    a = ce.cross_entropy(pol, prompts, ids, w)
    b = ce.bucketed_cross_entropy(pol, prompts, ids, w, buckets=4)
    assert torch.allclose(a, b, atol=1e-5)


def test_the_loop_is_adamw_on_the_loss_bit_for_bit():
    """``ce.train`` without a schedule, clip or buckets is the textbook loop, to the last bit."""
    set_seed(0)
    a = Policy(ModelConfig(n_embd=32))
    b = a.clone(name="manual")
    prompts, ids, w = _examples(a)
    batches = [(prompts[k : k + 4], ids[k : k + 4], w[k : k + 4], {}) for k in (0, 4, 8)]
    hist = ce.train(a, batches, lr=3e-3)
    opt = torch.optim.AdamW(b.model.parameters(), lr=3e-3)
    b.model.train()
    losses = []
    for p, i, wi, _ in batches:
        loss = ce.cross_entropy(b, p, i, wi)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert [r["loss"] for r in hist] == losses
    sb = b.model.state_dict()
    assert all(torch.equal(v, sb[k]) for k, v in a.model.state_dict().items())
    assert not a.model.training


def test_rows_carry_step_lr_extra_keys_and_time_as_asked():
    set_seed(0)
    pol = Policy(ModelConfig(n_embd=32))
    prompts, ids, w = _examples(pol)
    batches = [(prompts, ids, w, {"tokens": k}) for k in range(3)]
    rows = ce.train(
        pol,
        batches,
        lr=1e-2,
        schedule=lambda s: ce.lr_at(s, 3, 1e-2, 2),
        clip=1.0,
        buckets=2,
        first_step=1,
        timed=False,
    )
    assert [list(r) for r in rows] == [["step", "loss", "lr", "tokens"]] * 3
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert [r["tokens"] for r in rows] == [0, 1, 2]
    assert rows[0]["lr"] == 1e-2  # step 1 ends the 2-step warm-up
    timed = ce.train(pol, batches[:1], lr=1e-3)
    assert list(timed[0]) == ["step", "loss", "tokens", "wall_s"] and timed[0]["step"] == 0


def test_lr_warms_up_linearly_then_decays_to_a_tenth():
    lrs = [ce.lr_at(s, 100, 1.0, 10) for s in range(101)]
    assert lrs[:10] == [(s + 1) / 10 for s in range(10)]
    assert abs(lrs[10] - 1.0) < 1e-12
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:], strict=False))
    assert abs(lrs[100] - 0.1) < 1e-7
