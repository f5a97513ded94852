"""The tiny GPT itself (nanoGPT style): its shape, attention with a key/value cache, the blocks.

:class:`~reasonlab.world.policy.Policy` wraps it with the tokenizer, batched sampling and exact
log-probabilities; this module is only the network. ``GPT.forward`` runs teacher-forced batches
(and fills a cache when given one); ``GPT.decode_step`` advances every row by one token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F  # noqa: N812 (the usual torch alias)

from .tokenizer import Tokenizer


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the tiny GPT."""

    vocab_size: int = field(default_factory=lambda: Tokenizer().vocab_size)  #: fixed vocabulary
    block_size: int = 128  #: longest prompt + completion, in tokens
    n_layer: int = 2  #: transformer blocks; two suffice for digit-by-digit addition
    n_head: int = 2  #: attention heads per block (few, wide heads decode faster on a CPU)
    n_embd: int = 64  #: width of the residual stream
    max_new_tokens: int = 96  #: default completion budget of ``sample``


#: The key/value cache grows by this many positions at a time (most completions are short).
CACHE_CHUNK = 32


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.proj = nn.Linear(cfg.n_embd, cfg.n_embd)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor | None,
        cache: tuple[torch.Tensor, torch.Tensor] | None = None,
        start: int = 0,
    ) -> torch.Tensor:
        """Attend over the sequence (or over the cache plus the new tokens).

        Args:
            x: (B, T, C) new positions.
            mask: (B, 1, T, S) bool, True where a query may attend to a key; or, for one new
                token, a float (B, 1, 1, S) added to the scores (0 or -inf); ``None`` = causal.
            cache: per-layer (k, v) buffers of shape (B, H, T_max, C/H), written in place at
                ``start:start+T``; attention then runs over ``0:start+T``.
            start: where the new positions go in the cache.

        Returns:
            (B, T, C).
        """
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)  # (B, H, T, D)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        if cache is not None:
            cache[0][:, :, start : start + t] = k
            cache[1][:, :, start : start + t] = v
            k, v = cache[0][:, :, : start + t], cache[1][:, :, : start + t]  # (B, H, S, D)
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif mask.dtype == torch.bool:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        else:
            # One new token against the cache: plain matmuls beat the fused kernel at this size.
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1])) + mask  # (B, H, 1, S)
            y = att.softmax(-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.GELU(), nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        )

    def forward(self, x, mask, cache=None, start=0):
        x = x + self.attn(self.ln1(x), mask, cache, start)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Token + position embeddings, ``n_layer`` pre-norm blocks, a tied output head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(
        self,
        idx: torch.Tensor,
        pos: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        caches: list | None = None,
        start: int = 0,
        return_hidden: bool = False,
    ):
        """Logits of the next token at every position.

        Args:
            idx: (B, T) token ids.
            pos: (B, T) position ids (default ``0..T-1``).
            mask: (B, 1, T, S) attention mask, see :class:`CausalSelfAttention`.
            caches: one (k, v) pair per block for incremental decoding.
            start: cache offset of ``idx[:, 0]``.
            return_hidden: also return the final hidden states (B, T, C) (the critic reads them).

        Returns:
            logits (B, T, V), and the hidden states if asked.
        """
        if pos is None:
            pos = torch.arange(idx.shape[1]).unsqueeze(0)
        x = self.wte(idx) + self.wpe(pos)  # (B, T, C)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, None if caches is None else caches[i], start)
        h = self.ln_f(x)
        logits = h @ self.wte.weight.T  # tied head: (B, T, V)
        return (logits, h) if return_hidden else logits

    def decode_plan(self) -> tuple:
        """The weights :meth:`decode_step` reads, gathered once per sampling call (reading
        them through the module attributes costs more per step than some of the ops)."""
        blocks = tuple(
            (
                blk.attn.n_head,
                (blk.ln1.weight, blk.ln1.bias, blk.ln1.eps),
                (blk.attn.qkv.weight, blk.attn.qkv.bias),
                (blk.attn.proj.weight, blk.attn.proj.bias),
                (blk.ln2.weight, blk.ln2.bias, blk.ln2.eps),
                (blk.mlp[0].weight, blk.mlp[0].bias),
                (blk.mlp[2].weight, blk.mlp[2].bias),
            )
            for blk in self.blocks
        )
        ln_f = (self.ln_f.weight, self.ln_f.bias, self.ln_f.eps)
        return self.wte.weight, self.wpe.weight, blocks, ln_f

    def decode_step(self, idx, pos, bias, caches, col, plan=None):
        """One new token per row against the cache: the ops of ``forward`` with an additive
        mask, called without the module machinery (the decode loop is dominated by per-op
        overhead), on (B, C) rows rather than (B, 1, C).

        Args:
            idx, pos: (B,) token ids and positions.
            bias: (B*H, 1, S) additive mask over the first ``S >= col + 1`` cache columns
                (0 = visible, -inf = a pad key), one row per (row, head).
            caches: per-layer (k, v) of shape (B, H, T_max, D); the new key goes to ``col``.
            plan: :meth:`decode_plan`'s weights (gathered here if not given).

        Returns:
            (B, V) logits.
        """
        wte, wpe, blocks, ln_f = self.decode_plan() if plan is None else plan
        x = F.embedding(idx, wte) + F.embedding(pos, wpe)  # (B, C)
        b, c = x.shape
        n = col + 1
        for (nh, ln1, qkv, proj, ln2, fc, pr), (kc, vc) in zip(blocks, caches, strict=True):
            hd = c // nh
            q, k, v = F.linear(F.layer_norm(x, (c,), *ln1), *qkv).view(b, 3, nh, hd).unbind(1)
            kc.select(2, col).copy_(k)  # (B, H, D) into column ``col``
            vc.select(2, col).copy_(v)
            keys = kc.view(b * nh, -1, hd)[:, :n].transpose(1, 2)  # (B*H, D, S)
            # Scaled scores plus the mask in one op (same bits as the matmul, scale and add).
            q = q.reshape(b * nh, 1, hd)
            att = torch.baddbmm(bias[:, :, :n], q, keys, alpha=1.0 / math.sqrt(hd))  # (B*H, 1, S)
            y = torch.bmm(att.softmax(-1), vc.view(b * nh, -1, hd)[:, :n])  # (B*H, 1, D)
            x = x + F.linear(y.view(b, c), *proj)
            h = F.layer_norm(x, (c,), *ln2)
            x = x + F.linear(F.gelu(F.linear(h, *fc)), *pr)
        return F.layer_norm(x, (c,), *ln_f) @ wte.T
