"""A tiny GPT policy (nanoGPT style) with batched KV-cache sampling and exact log-probs.

The network is :mod:`reasonlab.world.gpt` (its config, attention, blocks); :class:`Policy` adds
the tokenizer and the two things RL needs from a language model:

* ``sample``: many completions at once, with a key/value cache so each new token costs one
  small forward pass, plus the log-probability of every token it emitted;
* ``logprobs``: the same log-probabilities recomputed with gradients (teacher forcing), which
  is what the policy-gradient loss differentiates.

Prompts of different lengths are left-padded for sampling, so all rows decode in lockstep;
position ids count from each row's first real token, which keeps the positions identical to
a right-padded training batch.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F  # noqa: N812 (the usual torch alias)

from .gpt import CACHE_CHUNK, GPT, ModelConfig  # noqa: F401 (ModelConfig: rl.policy's too)
from .tokenizer import Tokenizer


@dataclass
class SampleOutput:
    """Completions of ``sample``, prompt-major: row ``i * num_samples + j`` is sample j of prompt i.

    Attributes:
        prompts: the prompts as given (length N).
        num_samples: samples per prompt (S).
        completions: N*S decoded completions, without the end-of-sequence marker.
        token_ids: N*S lists of generated ids (ending with the end-of-sequence id if finished).
        num_tokens: N*S counts of generated tokens, including the end of sequence.
        logprobs: (N*S,) summed log-probabilities of the generated tokens.
        token_logprobs: N*S tensors (num_tokens,) of per-token log-probabilities.
        finished: N*S flags, False if the budget ran out before the end of sequence.
        entropy: (N*S,) the policy's entropy at each generated token, summed over the row.

    Log-probabilities are the policy's own (temperature 1, no budget forcing): the likelihood
    the model gives to the text, whatever sampler produced it.
    """

    prompts: list[str]
    num_samples: int
    completions: list[str]
    token_ids: list[list[int]]
    num_tokens: list[int]
    logprobs: torch.Tensor
    token_logprobs: list[torch.Tensor]
    finished: list[bool]
    entropy: torch.Tensor | None = None

    def prompt_of(self, row: int) -> str:
        """The prompt that row ``row`` continues."""
        return self.prompts[row // self.num_samples]

    def __len__(self) -> int:
        return len(self.completions)


class Policy:
    """The tiny GPT plus its tokenizer: sample completions, score them, save and load.

    Args:
        config: model shape; a fresh, randomly initialised model is built from it.
        name: a label carried into logs and trajectory files.
    """

    def __init__(self, config: ModelConfig | None = None, *, name: str = "policy"):
        self.config = config or ModelConfig()
        self.tokenizer = Tokenizer()
        if self.config.vocab_size != self.tokenizer.vocab_size:
            raise ValueError(
                f"config.vocab_size={self.config.vocab_size} but the tokenizer has "
                f"{self.tokenizer.vocab_size} tokens"
            )
        self.model = GPT(self.config)
        self.name = name

    # ------------------------------------------------------------------ bookkeeping

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def clone(self, name: str | None = None) -> Policy:
        """An independent copy (same weights), e.g. the frozen reference for a KL penalty."""
        other = Policy(self.config, name=name or self.name)
        other.model.load_state_dict(self.model.state_dict())
        return other

    def in_float64(self) -> Policy:
        """A copy that computes in float64 (same weights, widened), for samples any CPU repeats.

        In float32 the matrix kernels a CPU picks (AVX2, AVX-512, ...) round differently; over
        ~10^5 sampling steps one uniform draw then lands on the other side of a CDF boundary
        and one completion changes. In float64 those differences are ~10^-16, far too small
        to move a draw. Costs about twice the sampling time (3.9 vs 2.0 CPU-s for 200 x 32
        samples of the rlvr policy); training stays in float32.
        """
        other = copy.copy(self)
        other.model = copy.deepcopy(self.model).double()
        return other

    def state(self) -> dict:
        """Everything needed to rebuild this policy: config, name and weights."""
        return {
            "config": asdict(self.config),
            "name": self.name,
            "state_dict": {k: v.detach().clone() for k, v in self.model.state_dict().items()},
        }

    @classmethod
    def from_state(cls, state: dict) -> Policy:
        policy = cls(ModelConfig(**state["config"]), name=state["name"])
        policy.model.load_state_dict(state["state_dict"])
        return policy

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Policy(name={self.name!r}, n_layer={c.n_layer}, n_embd={c.n_embd}, "
            f"params={self.num_parameters():,})"
        )

    # ------------------------------------------------------------------ scoring

    def encode_batch(
        self, prompts: Sequence[str], completion_ids: Sequence[Sequence[int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded (prompt + completion) ids and a mask of the completion targets.

        Returns:
            idx: (B, T) token ids, padded with the end-of-sequence id.
            target_mask: (B, T-1) float, 1 where ``idx[:, 1:]`` is a completion token.
        """
        enc = [self.tokenizer.encode(p) for p in prompts]
        rows = [e + list(c) for e, c in zip(enc, completion_ids, strict=True)]
        t = max(len(r) for r in rows)
        if t > self.config.block_size:
            raise ValueError(
                f"a sequence of {t} tokens exceeds block_size={self.config.block_size}"
            )
        eos = self.tokenizer.eos_id
        # One tensor from padded lists (not one small tensor per row): same values, fewer ops.
        idx = torch.tensor([r + [eos] * (t - len(r)) for r in rows], dtype=torch.long)
        target_mask = torch.tensor(
            [
                [0.0] * (len(e) - 1) + [1.0] * (len(r) - len(e)) + [0.0] * (t - len(r))
                for e, r in zip(enc, rows, strict=True)
            ]
        )  # 1 where idx[:, 1:] is a completion token: predict every completion token
        return idx, target_mask

    def logprobs(
        self,
        prompts: Sequence[str],
        completion_ids: Sequence[Sequence[int]],
        *,
        with_entropy: bool = False,
        with_hidden: bool = False,
    ) -> dict[str, torch.Tensor]:
        """Teacher-forced log-probabilities of completions (differentiable).

        Args:
            prompts: B prompts.
            completion_ids: B lists of completion token ids (as in ``SampleOutput.token_ids``).
            with_entropy: also return the per-token entropy of the policy.
            with_hidden: also return the hidden state at the last prompt token (B, C).

        Returns:
            dict with ``token_logprobs`` (B, T-1) (zero outside completions), ``mask`` (B, T-1),
            ``logprobs`` (B,) summed over completion tokens, and optionally ``entropy``
            (B, T-1) and ``hidden`` (B, C).
        """
        idx, mask = self.encode_batch(prompts, completion_ids)
        logits, h = self.model(idx[:, :-1], return_hidden=True)  # (B, T-1, V)
        logp_all = F.log_softmax(logits, dim=-1)
        tok = logp_all.gather(-1, idx[:, 1:].unsqueeze(-1)).squeeze(-1) * mask  # (B, T-1)
        out = {"token_logprobs": tok, "mask": mask, "logprobs": tok.sum(1)}
        if with_entropy:  # a diagnostic: no gradient flows through it, so build no graph
            with torch.no_grad():
                lp = logp_all.detach()
                out["entropy"] = -(lp.exp() * lp).sum(-1) * mask
        if with_hidden:
            last = mask.argmax(1)  # first completion target = position of the last prompt token
            out["hidden"] = h[torch.arange(len(last)), last]
        return out

    # ------------------------------------------------------------------ sampling

    def sample(
        self,
        prompts: Sequence[str] | str,
        *,
        num_samples: int = 1,
        temperature: float = 1.0,
        max_new_tokens: int | None = None,
        seed: int = 0,
        max_think_tokens: int | None = None,
        min_think_tokens: int | None = None,
    ) -> SampleOutput:
        """Sample ``num_samples`` completions for every prompt, all rows decoded together.

        Args:
            prompts: N prompts (or one string).
            num_samples: completions per prompt (S).
            temperature: softmax temperature; ``0`` means greedy (argmax).
            max_new_tokens: budget per completion (default ``config.max_new_tokens``, clipped to
                the context length).
            seed: seeds the sampler's own generator; same seed, same completions.
            max_think_tokens: budget forcing: once a row has written this many tokens inside
                ``<think>``, ``</think>`` is forced and the model goes on to answer.
            min_think_tokens: the reverse: ``</think>``, the answer prefix and the end of
                sequence are suppressed until the row has thought this many tokens.

        Returns:
            :class:`SampleOutput` with N*S rows, prompt-major.
        """
        # Inference mode (not just no_grad): no autograd bookkeeping on the ~100 small ops of
        # every decode step. Outputs are cloned out of it, so callers may still use them in
        # autograd.
        with torch.inference_mode():
            out = self._sample(prompts, num_samples, temperature, max_new_tokens, seed,
                               max_think_tokens, min_think_tokens)  # fmt: skip
        out.logprobs, out.entropy = out.logprobs.clone(), out.entropy.clone()
        out.token_logprobs = list(torch.cat(out.token_logprobs).split(out.num_tokens))
        return out

    def _sample(
        self, prompts, num_samples, temperature, max_new_tokens, seed, max_think_tokens,
        min_think_tokens,
    ) -> SampleOutput:  # fmt: skip
        """The body of :meth:`sample` (run under inference mode)."""
        if isinstance(prompts, str):
            prompts = [prompts]
        prompts = list(prompts)
        if not prompts:
            raise ValueError("sample needs at least one prompt")
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        for name, val in (
            ("max_think_tokens", max_think_tokens),
            ("min_think_tokens", min_think_tokens),
        ):
            if val is not None and (not isinstance(val, int) or val < 0):
                raise ValueError(f"{name} must be a non-negative int or None, got {val!r}")
        tok, cfg = self.tokenizer, self.config
        enc_p = [tok.encode(p) for p in prompts]  # each prompt once; its S rows share it
        b, p_len = len(enc_p) * num_samples, max(len(e) for e in enc_p)
        budget = cfg.max_new_tokens if max_new_tokens is None else int(max_new_tokens)
        budget = min(budget, cfg.block_size - p_len)
        if budget < 1:
            raise ValueError(
                f"no room to generate: prompt of {p_len} tokens, "
                f"block_size={cfg.block_size}, max_new_tokens={max_new_tokens}"
            )
        gen = torch.Generator().manual_seed(seed)
        self.model.eval()
        dtype = self.model.wte.weight.dtype  # float32, or float64 after in_float64()
        n_head, h_dim = cfg.n_head, cfg.n_embd // cfg.n_head

        # Left-pad prompts so that every row's next token sits in the same column.
        n_p = len(enc_p)
        idx_p = torch.tensor([[tok.eos_id] * (p_len - len(e)) + e for e in enc_p])  # (N, P)
        valid_p = torch.tensor([[False] * (p_len - len(e)) + [True] * len(e) for e in enc_p])
        pos_p = (valid_p.long().cumsum(1) - 1).clamp(min=0)  # (N, P) positions per row
        # Prefill once per prompt, not once per sample: the S copies of a prompt are identical
        # rows, so their keys, values and first logits are copied instead of recomputed.
        cap = p_len + min(budget, CACHE_CHUNK)
        caches = [
            (
                torch.zeros(n_p, n_head, cap, h_dim, dtype=dtype),
                torch.zeros(n_p, n_head, cap, h_dim, dtype=dtype),
            )
            for _ in range(cfg.n_layer)
        ]
        # Prefill: causal and not a pad key; every query also sees itself (pads stay finite).
        causal = torch.tril(torch.ones(p_len, p_len, dtype=torch.bool))
        mask = (causal & valid_p[:, None, :]) | torch.eye(p_len, dtype=torch.bool)
        logits = self.model(idx_p, pos_p, mask[:, None], caches, 0)[:, -1]  # (N, V)
        # The step mask, one row per (sample, head): 0 where a key is visible, -inf on pads.
        step_bias = torch.zeros(n_p, 1, 1, p_len + budget, dtype=dtype)
        step_bias[:, 0, 0, :p_len].masked_fill_(~valid_p, -math.inf)
        step_bias = step_bias.expand(-1, n_head, -1, -1)
        next_pos = pos_p[:, -1] + 1  # (N,)
        if num_samples > 1:
            logits, next_pos, step_bias = (
                t.repeat_interleave(num_samples, 0) for t in (logits, next_pos, step_bias)
            )
            caches = [
                (k.repeat_interleave(num_samples, 0), v.repeat_interleave(num_samples, 0))
                for k, v in caches
            ]
        step_bias = step_bias.contiguous()  # (B, H, 1, P + budget)

        out_ids = torch.full((b, budget), tok.eos_id, dtype=torch.long)
        # The policy's own logits at every step (temperature 1, no forcing) and the rows they
        # belong to: the log-probs and entropies are read off them once, after the loop,
        # instead of a few ops per step.
        step_logits: list[torch.Tensor] = []
        step_rows: list[torch.Tensor] = []
        # One uniform per original row and step, drawn up front, used or not: a row's sample
        # then does not depend on which other rows have already finished.
        uniforms = torch.rand(budget, b, 1, generator=gen) if temperature else None
        # Per live row: which output row it is, and its thinking state. Finished rows are
        # dropped from the batch now and then, so short answers stop costing compute.
        rows, plan = torch.arange(b), self.model.decode_plan()
        done = torch.zeros(b, dtype=torch.bool)
        # The thinking state machine only matters under budget forcing: skipped otherwise.
        track_think = bool(min_think_tokens) or max_think_tokens is not None
        in_think = torch.zeros(b, dtype=torch.bool)
        thought = torch.zeros(b, dtype=torch.bool)
        think_len = torch.zeros(b, dtype=torch.long)
        stop_ids = torch.tensor([tok.end_think_id, tok.answer_id, tok.eos_id])
        steps_run, compacted = 0, False
        for t in range(budget):
            steps_run = t + 1
            step_logits.append(logits)
            step_rows.append(rows)
            z = logits
            if min_think_tokens:
                # Not thought yet, or thinking but short of the minimum: no way out of thinking.
                z = logits.clone()
                hold = ~thought | (in_think & (think_len < min_think_tokens))
                z[hold.nonzero(as_tuple=True)[0].unsqueeze(1), stop_ids] = -math.inf
            if temperature == 0:
                nxt = z.argmax(-1)
            else:
                # Inverse-CDF sampling: one uniform per row (cheaper than torch.multinomial).
                cdf = F.softmax(z if temperature == 1.0 else z / temperature, dim=-1).cumsum(-1)
                u = uniforms[t, rows] if compacted else uniforms[t]
                nxt = (cdf < u).sum(-1).clamp(max=cfg.vocab_size - 1)
            if max_think_tokens is not None:
                force = in_think & (think_len >= max_think_tokens)
                nxt = torch.where(force, torch.full_like(nxt, tok.end_think_id), nxt)
            nxt = nxt.masked_fill(done, tok.eos_id)
            out_ids[rows, t] = nxt
            if track_think:
                # Thinking state machine: <think> opens, </think> closes, tokens inside count.
                think_len += (in_think & (nxt != tok.end_think_id)).long()
                opened = nxt == tok.think_id
                thought |= opened
                in_think = (in_think | opened) & (nxt != tok.end_think_id)
                thought |= nxt == tok.answer_id  # answering directly ends the "may think" phase
            done |= nxt == tok.eos_id
            n_done = int(done.sum())
            if n_done == len(rows) or t == budget - 1:
                break
            if n_done * 4 >= len(rows):  # a quarter finished: compact the batch
                keep = (~done).nonzero(as_tuple=True)[0]
                rows, nxt, next_pos, done = rows[keep], nxt[keep], next_pos[keep], done[keep]
                if track_think:
                    in_think, thought, think_len = in_think[keep], thought[keep], think_len[keep]
                caches = [(k[keep], v[keep]) for k, v in caches]
                step_bias, compacted = step_bias[keep], True
            # One new column: this row's next position; it may see every valid key so far.
            col = p_len + t
            if col >= caches[0][0].shape[2]:  # the cache grows in chunks, as rows get longer
                grow = min(CACHE_CHUNK, p_len + budget - col)
                caches = [
                    (
                        torch.cat([k, k.new_zeros(*k.shape[:2], grow, h_dim)], 2),
                        torch.cat([v, v.new_zeros(*v.shape[:2], grow, h_dim)], 2),
                    )
                    for k, v in caches
                ]
            bias = step_bias.view(-1, 1, step_bias.shape[-1])  # (b*H, 1, P + budget)
            logits = self.model.decode_step(nxt, next_pos, bias, caches, col, plan)
            next_pos = next_pos + 1
        # A row is finished iff it wrote the end of sequence; it generated up to and including
        # its first one (rows dropped from the batch keep the eos padding of out_ids after it).
        is_eos = out_ids[:, :steps_run] == tok.eos_id
        final_done = is_eos.any(1)
        n_gen = torch.where(final_done, is_eos.long().argmax(1) + 1, steps_run)
        generated = torch.arange(steps_run) < n_gen[:, None]  # (B, steps): row-major order
        rr = torch.cat(step_rows)  # (R,) the output row of every (row, step) decoded
        tt = torch.cat([torch.full((len(r),), t) for t, r in enumerate(step_rows)])
        logp = F.log_softmax(torch.cat(step_logits), dim=-1)  # (R, V)
        # (B, budget), zero past each row's end: its sum adds the same zeros as before (same bits).
        lp = torch.zeros(b, budget, dtype=dtype)
        lp[rr, tt] = logp.gather(1, out_ids[rr, tt, None]).squeeze(1)
        lp[:, :steps_run] *= generated
        neg_h = torch.zeros(b, steps_run, dtype=dtype)
        neg_h[rr, tt] = (logp.exp() * logp).sum(-1)  # sum of p log p at each step (-entropy)

        ids_list = out_ids.tolist()
        finished, counts = final_done.tolist(), n_gen.tolist()
        token_ids = [row[:n] for row, n in zip(ids_list, counts, strict=True)]
        completions = [tok.decode_ids(ids) for ids in token_ids]
        token_lps = list(lp[:, :steps_run][generated].split(counts))
        return SampleOutput(
            prompts=prompts,
            num_samples=num_samples,
            completions=completions,
            token_ids=token_ids,
            num_tokens=counts,
            logprobs=lp.sum(1),
            token_logprobs=token_lps,
            finished=finished,
            entropy=-(neg_h * generated).sum(1),
        )
