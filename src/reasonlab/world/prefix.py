"""Teacher-forced log-probabilities of many completions of few prompts, each prompt run once.

An RL batch holds ``num_samples`` completions of every prompt. :meth:`Policy.logprobs` runs
each row as prompt + completion, so every prompt goes through the network once per sample;
:func:`grouped_logprobs` runs each distinct prompt once (left-padded, as the sampler's prefill
does) and lets the completions attend to its keys and values. The arithmetic is the same
function of the weights (a different order of float sums, so the last bits differ); what it
saves is the prompt positions of all but one sample per prompt, and the gradient still flows
into the prompt positions through their keys and values.

The completions come in chunks of similar length (the caller's length buckets), all sharing
the one prompt pass, so the caller sums the chunks' losses and calls ``backward`` once.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812 (the usual torch alias)


def _heads(t: torch.Tensor, n_head: int) -> torch.Tensor:
    b, n, c = t.shape
    return t.view(b, n, n_head, c // n_head).transpose(1, 2)  # (B, H, T, D)


def _merge(y: torch.Tensor) -> torch.Tensor:
    b, h, n, d = y.shape
    return y.transpose(1, 2).contiguous().view(b, n, h * d)


def grouped_logprobs(
    policy,
    prompts: Sequence[str],
    completion_ids: Sequence[Sequence[int]],
    chunks: Sequence[Sequence[int]],
    *,
    with_hidden: bool = False,
) -> list[dict[str, torch.Tensor]]:
    """Per-token log-probabilities of each chunk of completions (differentiable).

    Args:
        policy: the :class:`~reasonlab.world.policy.Policy` to score with.
        prompts: B prompts (repeats are run once).
        completion_ids: B lists of completion token ids, each at least one token long.
        chunks: row indices into the B rows; each chunk is scored as one padded batch.
        with_hidden: also return each row's final hidden state at its last prompt token.

    Returns:
        one dict per chunk, in the layout of the completion alone (column j is completion
        token j): ``token_logprobs`` (b, L) (zero past a row's end), ``mask`` (b, L),
        ``logprobs`` (b,) summed, and ``hidden`` (b, C) if asked.
    """
    model, tok = policy.model, policy.tokenizer
    distinct = list(dict.fromkeys(prompts))
    where = {p: i for i, p in enumerate(distinct)}
    group = torch.tensor([where[p] for p in prompts])
    enc = [tok.encode(p) for p in distinct]
    p_len = max(len(e) for e in enc)
    longest = max(len(c) for c in completion_ids)
    if min(len(c) for c in completion_ids) < 1:
        raise ValueError("every completion needs at least one token")
    if p_len + longest > policy.config.block_size:
        raise ValueError(
            f"a sequence of {p_len + longest} tokens exceeds block_size={policy.config.block_size}"
        )
    # The prompts, left-padded: every row's last prompt token sits in the last column.
    eos = tok.eos_id
    p_idx = torch.tensor([[eos] * (p_len - len(e)) + e for e in enc])
    valid = torch.tensor([[False] * (p_len - len(e)) + [True] * len(e) for e in enc])
    p_pos = (valid.long().cumsum(1) - 1).clamp(min=0)
    causal = torch.tril(torch.ones(p_len, p_len, dtype=torch.bool))
    p_mask = ((causal & valid[:, None, :]) | torch.eye(p_len, dtype=torch.bool))[:, None]
    lens = [len(e) for e in enc]

    # Each chunk's completion inputs: tokens 0..L-2 (token 0 is predicted by the prompt pass).
    parts = []
    for ch in chunks:
        rows = [list(completion_ids[i]) for i in ch]
        width = max(len(r) for r in rows)
        g = group[list(ch)]
        c_idx = torch.tensor([r[:-1] + [eos] * (width - len(r)) for r in rows])  # (b, L-1)
        start = torch.tensor([lens[i] for i in g.tolist()])
        c_pos = start[:, None] + torch.arange(width - 1)[None]
        # A completion position sees its prompt's real tokens and the completion so far.
        k_mask = torch.cat(
            [
                valid[g][:, None, :].expand(-1, width - 1, -1),
                torch.tril(torch.ones(width - 1, width - 1, dtype=torch.bool)).expand(
                    len(ch), -1, -1
                ),
            ],
            2,
        )[:, None]  # (b, 1, L-1, P+L-1)
        target = torch.tensor([r + [eos] * (width - len(r)) for r in rows])  # (b, L)
        mask = torch.tensor([[1.0] * len(r) + [0.0] * (width - len(r)) for r in rows])
        x = model.wte(c_idx) + model.wpe(c_pos)
        parts.append({"g": g, "x": x, "k_mask": k_mask, "target": target, "mask": mask})

    xp = model.wte(p_idx) + model.wpe(p_pos)
    for blk in model.blocks:
        at = blk.attn
        h = blk.ln1(xp)
        q, k, v = (_heads(t, at.n_head) for t in at.qkv(h).split(h.shape[-1], dim=2))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=p_mask)
        for part in parts:
            if part["x"].shape[1] == 0:
                continue
            hc = blk.ln1(part["x"])
            qc, kc, vc = (_heads(t, at.n_head) for t in at.qkv(hc).split(hc.shape[-1], dim=2))
            g = part["g"]
            yc = F.scaled_dot_product_attention(
                qc, torch.cat([k[g], kc], 2), torch.cat([v[g], vc], 2), attn_mask=part["k_mask"]
            )
            xc = part["x"] + at.proj(_merge(yc))
            part["x"] = xc + blk.mlp(blk.ln2(xc))
        xp = xp + at.proj(_merge(y))
        xp = xp + blk.mlp(blk.ln2(xp))
    hp = model.ln_f(xp[:, -1])  # (N, C): the last prompt token of every prompt
    first = hp @ model.wte.weight.T  # (N, V): logits of completion token 0

    out = []
    for part in parts:
        g = part["g"]
        logits = first[g][:, None]
        if part["x"].shape[1]:
            logits = torch.cat([logits, model.ln_f(part["x"]) @ model.wte.weight.T], 1)
        logp = F.log_softmax(logits, dim=-1)  # (b, L, V)
        lp = logp.gather(-1, part["target"].unsqueeze(-1)).squeeze(-1) * part["mask"]
        row = {"token_logprobs": lp, "mask": part["mask"], "logprobs": lp.sum(1)}
        if with_hidden:
            row["hidden"] = hp[g]
        out.append(row)
    return out
