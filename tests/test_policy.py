"""The tiny GPT: cached decoding equals full recomputation, log-probs are exact, sampling is
seeded, greedy is argmax, and budget forcing does what it says."""

import pytest
import torch

from reasonlab.core.utils import set_seed
from reasonlab.world.policy import ModelConfig, Policy

PROMPTS = ["7+8=", "347+589=", "1234+5678=", "12+3="]  # different lengths: left padding matters


@pytest.fixture(scope="module")
def policy():
    set_seed(0)
    # An untrained model: near-uniform next tokens, so about 1 in 60 ends each step and the
    # rows come out with many different lengths, which is what the padding logic must handle.
    return Policy(ModelConfig(), name="random")


def test_cached_sampling_logprobs_equal_uncached_recomputation(policy):
    out = policy.sample(PROMPTS, num_samples=3, seed=1, max_new_tokens=60)
    assert len({len(t) for t in out.token_ids}) > 1  # rows of different lengths
    prompts = [out.prompt_of(i) for i in range(len(out))]
    full = policy.logprobs(prompts, out.token_ids)
    assert torch.allclose(full["logprobs"], out.logprobs, atol=1e-4)
    for i, lp in enumerate(out.token_logprobs):
        m = full["mask"][i].bool()
        assert torch.allclose(full["token_logprobs"][i][m], lp, atol=1e-4)


def test_greedy_is_argmax_of_uncached_forward(policy):
    out = policy.sample(PROMPTS, temperature=0, max_new_tokens=12)
    tok = policy.tokenizer
    for prompt, ids in zip(PROMPTS, out.token_ids, strict=True):
        seq = tok.encode(prompt)
        for t in ids:
            logits = policy.model(torch.tensor([seq]))[0, -1]
            assert int(logits.argmax()) == t
            seq.append(t)


def test_seeded_and_prompt_major(policy):
    a = policy.sample(PROMPTS, num_samples=4, seed=3, max_new_tokens=20)
    b = policy.sample(PROMPTS, num_samples=4, seed=3, max_new_tokens=20)
    c = policy.sample(PROMPTS, num_samples=4, seed=4, max_new_tokens=20)
    assert a.completions == b.completions and torch.equal(a.logprobs, b.logprobs)
    assert a.completions != c.completions
    assert len(a) == 16 and a.prompt_of(5) == PROMPTS[1]
    # Row i of a batch does not depend on the other rows' prompts (padding is masked).
    solo = policy.sample([PROMPTS[1]], temperature=0, max_new_tokens=20)
    batch = policy.sample(PROMPTS, temperature=0, max_new_tokens=20)
    assert solo.completions[0] == batch.completions[1]


def test_float64_copy_samples_the_same_distribution(policy):
    wide = policy.in_float64()
    assert wide.model.wte.weight.dtype == torch.float64
    assert policy.model.wte.weight.dtype == torch.float32  # the original is untouched
    out = wide.sample(PROMPTS, num_samples=8, seed=5, max_new_tokens=40)
    assert out.logprobs.dtype == torch.float64
    # Scored by the float32 model, the float64 samples get the same log-probs up to rounding.
    prompts = [out.prompt_of(i) for i in range(len(out))]
    narrow = policy.logprobs(prompts, out.token_ids)["logprobs"]
    assert torch.allclose(narrow.double(), out.logprobs, atol=1e-4)
    # Same seed, same uniforms: all but a rare row on a CDF boundary come out the same.
    same = policy.sample(PROMPTS, num_samples=8, seed=5, max_new_tokens=40).completions
    assert sum(a == b for a, b in zip(same, out.completions, strict=True)) >= 0.9 * len(same)


def test_sample_counts_and_finish(policy):
    out = policy.sample(PROMPTS, num_samples=2, seed=0, max_new_tokens=6)
    for ids, n, done in zip(out.token_ids, out.num_tokens, out.finished, strict=True):
        assert len(ids) == n <= 6
        assert done == (ids[-1] == policy.tokenizer.eos_id)


def test_budget_forcing(policy):
    tok = policy.tokenizer
    stops = (tok.answer_id, tok.eos_id, tok.end_think_id)
    out = policy.sample(
        PROMPTS, num_samples=64, seed=0, max_new_tokens=40, min_think_tokens=5, max_think_tokens=9
    )
    opened = 0
    for ids in out.token_ids:
        assert ids[0] not in stops  # no answering before thinking
        if ids[0] != tok.think_id:
            continue
        opened += 1
        # Inside <think>: no way out before 5 tokens, and </think> forced at 9.
        assert all(t not in stops for t in ids[1:6])
        assert tok.end_think_id in ids[6:11]
    assert opened > 0
    free = policy.sample(PROMPTS, num_samples=64, seed=0, max_new_tokens=40)
    assert free.completions != out.completions


def test_bad_arguments(policy):
    with pytest.raises(ValueError, match="num_samples"):
        policy.sample(PROMPTS, num_samples=0)
    with pytest.raises(ValueError, match="temperature"):
        policy.sample(PROMPTS, temperature=-1)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        policy.sample(["7+8=€"])
    with pytest.raises(ValueError, match="max_think_tokens"):
        policy.sample(PROMPTS, max_think_tokens=-2)


def test_state_round_trip(policy):
    clone = Policy.from_state(policy.state())
    a = policy.sample(PROMPTS, seed=0, max_new_tokens=10)
    b = clone.sample(PROMPTS, seed=0, max_new_tokens=10)
    assert a.completions == b.completions


def test_sample_outputs_may_enter_autograd(policy):
    """Sampling runs under inference mode; what it returns is cloned out, so a loss may use it."""
    out = policy.sample(PROMPTS, num_samples=2, seed=0, max_new_tokens=10)
    assert not out.logprobs.is_inference() and not out.token_logprobs[0].is_inference()
    w = torch.ones((), requires_grad=True)
    (w * out.logprobs).sum().backward()
    assert w.grad is not None and torch.isfinite(w.grad)
    # The S samples of a prompt share one prefill; each still equals a solo greedy decode.
    greedy = policy.sample(PROMPTS, num_samples=3, temperature=0, max_new_tokens=12)
    solo = policy.sample(PROMPTS, temperature=0, max_new_tokens=12)
    assert greedy.completions == [c for c in solo.completions for _ in range(3)]


def test_sampled_entropy_is_the_teacher_forced_entropy(policy):
    out = policy.sample(PROMPTS, num_samples=3, seed=2, max_new_tokens=30)
    prompts = [out.prompt_of(i) for i in range(len(out))]
    with torch.no_grad():
        full = policy.logprobs(prompts, out.token_ids, with_entropy=True)
    assert torch.allclose(out.entropy, full["entropy"].sum(1), atol=1e-4)
    assert out.entropy.min() > 0 and not out.entropy.is_inference()
