"""Benchmark our RL step against TRL's ``GRPOTrainer``, side by side in one process.

Both train the same policy (the shipped ``base``: 2 layers, width 64) on the same problems
(``zoo.RL_PROBLEMS``) with the same batch (32 prompts x 8 samples), learning rate (3e-4),
completion budget (the policy's ``max_new_tokens``), sampling (temperature 1, no top-k/top-p)
and reward (our math verifier), without a KL term:

- **ours**: the pieces of :func:`reasonlab.training.rl.train_rlvr` at ``RLConfig()`` defaults
  (rollout, verify, update, log row), without its held-out evaluations; the CPU time of each
  of the first three is reported apart (``cpu_s_per_step_by_phase``);
- **TRL**: ``GRPOTrainer`` on a ``transformers.GPT2LMHeadModel`` holding a copy of the same
  weights (checked: its logits equal ours to within ``COPY_ATOL`` = 1e-5, and left-padded
  within ``LEFT_PAD_ATOL``, else the benchmark fails), with a character tokenizer whose ids
  are ours, and ``trl_rewards.make_reward("math")`` set exactly as ``tasks.verify_batch``
  verifies (a lone final number counts). One change to GPT-2 (:func:`gpt2_class`): a forward without
  ``position_ids`` numbers positions from the attention mask, as ``generate`` does; TRL scores
  its left-padded batches that way, and plain GPT-2 would shift each row's learned positions
  by its padding (``copy_left_pad_logit_diff_plain_gpt2`` in the output shows by how much).

Each side runs one warm-up step, then ``--steps`` timed steps (default 20). Generated tokens
are counted the same way on both sides: completion tokens including the end of sequence (a
completion cut at the budget counts the budget). TRL logs their mean as
``completions/mean_length``; ours is ``SampleOutput.num_tokens``. TRL's timed interval runs
from the end of the warm-up step to the end of the last step (``on_step_end``), so it holds
its data loading and logging; ours holds the log row.

    .venv/bin/python benchmarks/trl_grpo.py            # a readable table
    .venv/bin/python benchmarks/trl_grpo.py --json     # one JSON object
    .venv/bin/python benchmarks/trl_grpo.py --steps 5

The machine may be shared: wall times then include waiting for a core. CPU times (this
process's, ``time.process_time``) are reported beside them as a contention-robust figure.
Threads: ``REASONLAB_THREADS`` (default 1), for both sides.

Needs ``trl`` and ``transformers`` (not dependencies of reasonlab); everything runs offline.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time

import torch

from reasonlab.core import metrics
from reasonlab.core.utils import NUM_THREADS, set_seed
from reasonlab.shipped import zoo
from reasonlab.training import rl
from reasonlab.training.rl import RLConfig
from reasonlab.world import tasks
from reasonlab.world.policy import Policy
from reasonlab.world.tokenizer import EOS

#: Set before the first import of transformers / huggingface_hub / datasets: nothing downloads.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}
COPY_ATOL = 1e-5  #: largest allowed |logit difference| between our model and its GPT-2 copy
#: The same, left-padded: attention then runs with an explicit mask, whose float32 rounding
#: differs from the causal kernel's by a few steps of 2e-6 (logits reach about 25).
LEFT_PAD_ATOL = 1e-4
WARMUP = 1  #: untimed steps before the timed ones, on each side
#: The pieces of our step timed apart (``cpu_s_per_step_by_phase``: where the time goes).
PHASES = ("rollout", "verify", "update")
KEYS = ("steps", "steps_per_s", "steps_per_cpu_s", "s_per_step", "cpu_s_per_step",
        "tokens", "tokens_per_s", "tokens_per_cpu_s", "mean_completion_tokens", "reward_mean",
        "samples_per_step", "params")  # fmt: skip


def offline() -> None:
    os.environ.update(OFFLINE)


def throughput(steps: int, tokens: float, wall: float, cpu: float, samples: int) -> dict:
    """The figures both sides report, from the timed steps' totals."""
    return {
        "steps": steps,
        "wall_s": wall,
        "cpu_s": cpu,
        "steps_per_s": steps / wall,
        "steps_per_cpu_s": steps / cpu,
        "s_per_step": wall / steps,
        "cpu_s_per_step": cpu / steps,
        "tokens": tokens,
        "tokens_per_s": tokens / wall,
        "tokens_per_cpu_s": tokens / cpu,
        "mean_completion_tokens": tokens / (steps * samples),
        "samples_per_step": samples,
    }


# ----------------------------------------------------------------------------- ours


def run_ours(policy: Policy, problems, steps: int, cfg: RLConfig | None = None) -> dict:
    """``train_rlvr``'s step (rollout, verify, update, log row) ``WARMUP + steps`` times.

    ``policy`` is trained in place. Returns :func:`throughput` of the timed steps, plus the
    mean reward over them.
    """
    cfg = cfg or RLConfig()
    set_seed(cfg.seed)
    learner = rl.Learner.start(policy, cfg)
    rng = random.Random(f"rl/{cfg.seed}")
    tokens, rewards = 0, []
    phases = dict.fromkeys(PHASES, 0.0)  # CPU seconds of each piece over the timed steps
    for step in range(1, WARMUP + steps + 1):
        if step == WARMUP + 1:
            t0, c0 = time.perf_counter(), time.process_time()
        c = [time.process_time()]
        batch = rl.rollout(policy, problems, rng, cfg, step)
        c.append(time.process_time())
        batch = rl.verify(batch, cfg, step)
        c.append(time.process_time())
        stats = rl.update(learner, batch, cfg, step)
        c.append(time.process_time())
        row = rl.log_row(step, batch, stats, 0.0)
        if step > WARMUP:
            tokens += sum(batch.out.num_tokens)
            rewards.append(row[metrics.REWARD_MEAN])
            for name, a, b in zip(PHASES, c, c[1:], strict=False):
                phases[name] += b - a
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = throughput(steps, tokens, wall, cpu, cfg.prompts_per_step * cfg.num_samples)
    out["reward_mean"] = sum(rewards) / len(rewards)
    out["cpu_s_per_step_by_phase"] = {k: v / steps for k, v in phases.items()}
    out["params"] = policy.num_parameters()
    return out


# ----------------------------------------------------------------------------- the GPT-2 copy


def hf_tokenizer(policy: Policy):
    """A ``PreTrainedTokenizerFast`` with our ids: one token per character when encoding (our
    prompts hold only characters), every marker decodes to its text; only the end of sequence
    is special (TRL decodes with ``skip_special_tokens``, as ours stops at it)."""
    offline()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = dict(policy.tokenizer.stoi)
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=EOS))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token=EOS, eos_token=EOS, unk_token=EOS
    )


def gpt2_class():
    """``GPT2LMHeadModel`` that, called without ``position_ids``, numbers each row's positions
    from its attention mask (first real token = 0) instead of ``0..T-1``.

    TRL scores its left-padded prompt + completion batches calling ``model(input_ids,
    attention_mask)``; GPT-2's learned positions then shift by each row's padding, and the
    policy TRL trains would not be the one it sampled from (``generate`` passes mask-based
    positions). Our model numbers positions this way on both paths.
    """
    offline()
    from transformers import GPT2LMHeadModel

    class MaskPositionedGPT2(GPT2LMHeadModel):
        def forward(self, input_ids=None, attention_mask=None, position_ids=None, **kwargs):
            if position_ids is None and attention_mask is not None and attention_mask.ndim == 2:
                position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)  # (B, T)
            return super().forward(
                input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                **kwargs,
            )  # fmt: skip

    return MaskPositionedGPT2


def to_gpt2(policy: Policy):
    """A GPT-2 (:func:`gpt2_class`) of our model's shape holding a copy of its weights.

    Our blocks are GPT-2's (pre-norm, fused q|k|v, learned positions, tied head, exact GELU);
    GPT-2's ``Conv1D`` stores ``x @ W`` weights, i.e. our ``Linear`` weights transposed.
    """
    offline()
    from transformers import GPT2Config

    c, eos = policy.config, policy.tokenizer.eos_id
    config = GPT2Config(
        vocab_size=c.vocab_size, n_positions=c.block_size, n_embd=c.n_embd, n_layer=c.n_layer,
        n_head=c.n_head, activation_function="gelu", layer_norm_epsilon=1e-5,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=True,
        bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
    )  # fmt: skip
    model = gpt2_class()(config)
    ours = policy.model.state_dict()
    state = {
        "transformer.wte.weight": ours["wte.weight"],
        "transformer.wpe.weight": ours["wpe.weight"],
        "transformer.ln_f.weight": ours["ln_f.weight"],
        "transformer.ln_f.bias": ours["ln_f.bias"],
    }
    names = {"ln_1": "ln1", "ln_2": "ln2", "attn.c_attn": "attn.qkv", "attn.c_proj": "attn.proj",
             "mlp.c_fc": "mlp.0", "mlp.c_proj": "mlp.2"}  # fmt: skip
    for i in range(c.n_layer):
        for theirs, mine in names.items():
            w, b = ours[f"blocks.{i}.{mine}.weight"], ours[f"blocks.{i}.{mine}.bias"]
            state[f"transformer.h.{i}.{theirs}.weight"] = w if theirs.startswith("ln") else w.T
            state[f"transformer.h.{i}.{theirs}.bias"] = b
    missing, unexpected = model.load_state_dict(
        {k: v.detach().clone().contiguous() for k, v in state.items()}, strict=False
    )
    left = [k for k in missing if k != "lm_head.weight"]  # the tied head is wte
    if left or unexpected:
        raise RuntimeError(f"GPT-2 copy: missing {left}, unexpected {unexpected}")
    model.tie_weights()
    return model.eval()


def check_copy(policy: Policy, model, tokenizer, prompts: list[str], seed: int = 0) -> dict:
    """Largest |logit difference| of the copy on sampled prompt + completion sequences.

    Both layouts: right-padded (ours) and left-padded without ``position_ids`` (how TRL
    scores a batch); also left-padded through plain GPT-2's forward, for the record (not
    checked). Also checks the tokenizer: it encodes every prompt to our ids and decodes the
    sampled completions to our text. Raises ``AssertionError`` when anything differs.

    Returns:
        ``right_pad``, ``left_pad`` and ``left_pad_plain_gpt2`` max |logit differences|.
    """
    from transformers import GPT2LMHeadModel

    tok = policy.tokenizer
    for p in prompts:
        assert tokenizer(p, add_special_tokens=False).input_ids == tok.encode(p), p
    out = policy.sample(prompts[:16], num_samples=2, seed=seed)
    rows = [q for q in prompts[:16] for _ in range(2)]
    decoded = tokenizer.batch_decode(out.token_ids, skip_special_tokens=True)
    assert decoded == [tok.decode(ids) for ids in out.token_ids], "decodings differ"
    idx, _ = policy.encode_batch(rows, out.token_ids)  # (B, T), right-padded with eos
    n = torch.tensor(
        [len(tok.encode(q)) + len(c) for q, c in zip(rows, out.token_ids, strict=True)]
    )
    t = idx.shape[1]
    right = torch.arange(t)[None] < n[:, None]  # (B, T) real tokens, right-padded
    # Row i rolled right by its padding: the same tokens, left-padded.
    gather = (torch.arange(t)[None] - (t - n)[:, None]) % t  # (B, T)
    left_idx, left = idx.gather(1, gather), right.gather(1, gather)
    with torch.no_grad():
        mine = policy.model(idx)  # (B, T, V)
        mine_left = mine.gather(1, gather[..., None].expand_as(mine))
        diffs = {
            "right_pad": model(input_ids=idx, attention_mask=right.long()).logits - mine,
            "left_pad": model(input_ids=left_idx, attention_mask=left.long()).logits - mine_left,
            "left_pad_plain_gpt2": GPT2LMHeadModel.forward(
                model, input_ids=left_idx, attention_mask=left.long()
            ).logits
            - mine_left,
        }
    masks = {"right_pad": right, "left_pad": left, "left_pad_plain_gpt2": left}
    out = {k: float(d.abs()[masks[k]].max()) for k, d in diffs.items()}
    for key, atol in (("right_pad", COPY_ATOL), ("left_pad", LEFT_PAD_ATOL)):
        assert out[key] <= atol, (
            f"GPT-2 copy differs from our model ({key}): max |logit diff| {out[key]:.2e}"
        )
    return out


# ----------------------------------------------------------------------------- TRL


def grpo_config(output_dir: str, steps: int, cfg: RLConfig, max_new_tokens: int):
    """``GRPOConfig`` for the same run: one generation of N*S completions per optimizer step."""
    from trl import GRPOConfig

    per_step = cfg.prompts_per_step * cfg.num_samples
    return GRPOConfig(
        output_dir=output_dir, num_generations=cfg.num_samples,
        per_device_train_batch_size=per_step, gradient_accumulation_steps=1,
        generation_batch_size=per_step, max_completion_length=max_new_tokens,
        temperature=cfg.temperature, top_k=0, top_p=1.0, beta=0.0, learning_rate=cfg.lr,
        lr_scheduler_type="constant", warmup_steps=0, max_grad_norm=cfg.max_grad_norm,
        max_steps=WARMUP + steps, logging_steps=1, save_strategy="no", report_to="none",
        seed=cfg.seed, use_cpu=True, bf16=False, activation_checkpointing=False,
        disable_tqdm=True,
    )  # fmt: skip


def run_trl(policy: Policy, problems, steps: int, cfg: RLConfig | None = None) -> dict:
    """``GRPOTrainer`` on a checked GPT-2 copy of ``policy`` for ``WARMUP + steps`` steps.

    Returns :func:`throughput` of the timed steps, plus the mean reward over them, the
    copy's largest logit difference and its parameter count. ``policy`` is not changed.
    """
    offline()
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import GRPOTrainer

    from reasonlab.verifiers import trl_rewards

    cfg = cfg or RLConfig()
    set_seed(cfg.seed)
    model, tokenizer = to_gpt2(policy), hf_tokenizer(policy)
    diff = check_copy(policy, model, tokenizer, [p.prompt for p in problems[:256]])
    max_new = cfg.max_new_tokens or policy.config.max_new_tokens
    # tasks.verify_batch calls verify_math with its defaults (a lone final number counts).
    reward = trl_rewards.make_reward("math", name="math_reward", last_number_fallback=True)
    data = Dataset.from_list([{"prompt": p.prompt, "answer": p.answer} for p in problems])
    ticks: list[tuple[float, float]] = []

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            ticks.append((time.perf_counter(), time.process_time()))

    with tempfile.TemporaryDirectory() as tmp:
        trainer = GRPOTrainer(
            model=model, processing_class=tokenizer, reward_funcs=[reward],
            args=grpo_config(tmp, steps, cfg, max_new), train_dataset=data, callbacks=[Clock()],
        )  # fmt: skip
        trainer.remove_callback(PrinterCallback)  # its log lines would break --json
        trainer.train()
    rows = [r for r in trainer.state.log_history if "completions/mean_length" in r]
    assert len(rows) == len(ticks) == WARMUP + steps, (len(rows), len(ticks))
    timed = rows[WARMUP:]
    per_step = cfg.prompts_per_step * cfg.num_samples
    tokens = sum(r["completions/mean_length"] for r in timed) * per_step
    (t0, c0), (t1, c1) = ticks[WARMUP - 1], ticks[-1]
    out = throughput(steps, tokens, t1 - t0, c1 - c0, per_step)
    out["reward_mean"] = sum(r["rewards/math_reward/mean"] for r in timed) / steps
    out["params"] = sum(p.numel() for p in model.parameters())  # the tied head counted once
    out["copy_max_logit_diff"] = diff["right_pad"]
    out["copy_max_logit_diff_left_pad"] = diff["left_pad"]
    out["copy_left_pad_logit_diff_plain_gpt2"] = diff["left_pad_plain_gpt2"]
    return out


# ----------------------------------------------------------------------------- both


def compare(steps: int) -> dict:
    """Both sides from the shipped base, TRL first (ours trains its policy in place)."""
    offline()
    import transformers
    import trl

    set_seed(0)
    policy = zoo.load("base")
    problems = tasks.make(**zoo.RL_PROBLEMS)
    theirs = run_trl(policy, problems, steps)
    ours = run_ours(policy, problems, steps)
    assert ours["params"] == theirs["params"], (ours["params"], theirs["params"])
    return {
        "ours": ours,
        "trl": theirs,
        "ratio_steps_per_s": ours["steps_per_s"] / theirs["steps_per_s"],
        "ratio_steps_per_cpu_s": ours["steps_per_cpu_s"] / theirs["steps_per_cpu_s"],
        "ratio_tokens_per_s": ours["tokens_per_s"] / theirs["tokens_per_s"],
        "ratio_tokens_per_cpu_s": ours["tokens_per_cpu_s"] / theirs["tokens_per_cpu_s"],
        "params": ours["params"],
        "steps": steps,
        "warmup_steps": WARMUP,
        "threads": NUM_THREADS,
        "torch_threads": torch.get_num_threads(),
        "versions": {
            "torch": torch.__version__,
            "trl": trl.__version__,
            "transformers": transformers.__version__,
        },
        "tokens_counted": "generated completion tokens including the eos (budget if cut)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--steps", type=int, default=20, help="timed steps on each side")
    args = parser.parse_args()
    result = compare(args.steps)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    print(
        f"threads {result['threads']}, {result['params']:,} parameters, {args.steps} timed "
        f"steps after {WARMUP} warm-up; {versions}"
    )
    print(f"{'':26s}{'ours':>12s}{'TRL':>12s}{'ours/TRL':>10s}")
    for key, fmt in (
        ("s_per_step", ".3f"),
        ("cpu_s_per_step", ".3f"),
        ("steps_per_s", ".2f"),
        ("steps_per_cpu_s", ".2f"),
        ("tokens_per_s", ".0f"),
        ("tokens_per_cpu_s", ".0f"),
        ("mean_completion_tokens", ".1f"),
        ("reward_mean", ".3f"),
    ):
        o, t = result["ours"][key], result["trl"][key]
        print(f"{key:26s}{o:12{fmt}}{t:12{fmt}}{o / t:10.2f}")
    split = ", ".join(f"{k} {v:.3f}" for k, v in result["ours"]["cpu_s_per_step_by_phase"].items())
    print(f"ours, CPU-s a step by phase: {split}")
    print(
        f"GPT-2 copy: max |logit diff| {result['trl']['copy_max_logit_diff']:.1e} (left-padded "
        f"through plain GPT-2: {result['trl']['copy_left_pad_logit_diff_plain_gpt2']:.1e})"
    )


if __name__ == "__main__":
    main()
