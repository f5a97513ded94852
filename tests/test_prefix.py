"""Scoring each prompt once for all its completions (``world/prefix.py``) gives the
teacher-forced log-probabilities, hidden states and gradients of scoring every row whole."""

import pytest
import torch

from reasonlab.core.utils import set_seed
from reasonlab.world.policy import ModelConfig, Policy
from reasonlab.world.prefix import grouped_logprobs

PROMPTS = ["7+8=", "347+589=", "1234+5678=", "12+3="]  # different lengths: left padding matters


@pytest.fixture(scope="module")
def batch():
    set_seed(0)
    pol = Policy(ModelConfig(), name="random")
    out = pol.sample(PROMPTS, num_samples=4, seed=3, max_new_tokens=40)
    prompts = [out.prompt_of(i) for i in range(len(out))]
    assert len({len(t) for t in out.token_ids}) > 3  # completions of many lengths
    return pol, prompts, out.token_ids


CHUNKINGS = [
    [list(range(16))],  # one chunk
    [[0, 5, 9, 15], [1, 2, 3, 4, 6, 7, 8], [10, 11, 12, 13, 14]],  # groups split across chunks
]


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_grouped_logprobs_equal_whole_row_scoring(batch, chunks):
    pol, prompts, ids = batch
    whole = pol.logprobs(prompts, ids, with_hidden=True)
    got = grouped_logprobs(pol, prompts, ids, chunks, with_hidden=True)
    for ch, part in zip(chunks, got, strict=True):
        for j, i in enumerate(ch):
            n = len(ids[i])
            assert part["mask"][j].tolist() == [1.0] * n + [0.0] * (part["mask"].shape[1] - n)
            want = whole["token_logprobs"][i][whole["mask"][i].bool()]
            assert torch.allclose(part["token_logprobs"][j][:n], want, atol=1e-5)
            assert torch.allclose(part["logprobs"][j], whole["logprobs"][i], atol=1e-4)
            assert torch.allclose(part["hidden"][j], whole["hidden"][i], atol=1e-5)


def test_grouped_logprobs_backpropagate_the_same_gradient(batch):
    """The prompts' keys and values carry the gradient back into the prompt positions."""
    pol, prompts, ids = batch
    weights = torch.linspace(-1.0, 1.0, len(ids))
    params = list(pol.model.parameters())

    def grad(loss):
        pol.model.zero_grad(set_to_none=True)
        loss.backward()
        return torch.cat([p.grad.reshape(-1) for p in params])

    want = grad((weights * pol.logprobs(prompts, ids)["logprobs"]).sum())
    chunks = CHUNKINGS[1]
    parts = grouped_logprobs(pol, prompts, ids, chunks)
    pairs = zip(chunks, parts, strict=True)
    got = grad(sum((weights[ch] * p["logprobs"]).sum() for ch, p in pairs))
    assert (got - want).abs().max() <= 1e-4 * want.abs().max()
    assert want.abs().max() > 0


def test_grouped_logprobs_name_bad_input(batch):
    pol, prompts, ids = batch
    with pytest.raises(ValueError, match="at least one token"):
        grouped_logprobs(pol, prompts[:2], [ids[0], []], [[0, 1]])
    too_long = [pol.tokenizer.eos_id] * pol.config.block_size
    with pytest.raises(ValueError, match="block_size"):
        grouped_logprobs(pol, prompts[:1], [too_long], [[0]])
