"""TRL-signature reward functions: they return exactly the verifiers' verdicts, for plain-text and
conversational completions, and a real ``GRPOTrainer`` run logs those verdicts as its rewards."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reasonlab.verifiers import format_reward, verify_code, verify_logic, verify_math
from reasonlab.verifiers import trl_rewards as rw

ROOT = Path(__file__).resolve().parents[1]


def chat(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


# ----------------------------------------------------------------------------- completion text


@pytest.mark.parametrize(
    ("completion", "text"),
    [
        ("#### 3", "#### 3"),
        (chat("#### 3"), "#### 3"),
        ({"role": "assistant", "content": "#### 3"}, "#### 3"),
        ([{"role": "assistant", "content": [{"type": "text", "text": "#### 3"}]}], "#### 3"),
        ([{"role": "user", "content": "#### 9"}, {"role": "assistant", "content": "4"}], "4"),
        ([{"role": "assistant", "content": "a"}, {"role": "assistant", "content": "b"}], "a\nb"),
        ([], ""),
        (None, ""),
        (42, ""),
        ([{"role": "assistant", "content": None}, "junk"], ""),
    ],
)
def test_completion_text_reads_only_the_assistant(completion, text):
    assert rw.completion_text(completion) == text


# ----------------------------------------------------------------------------- the verdicts

MATH = [
    # (completion, gold): traps included, the verdict is always verify_math's.
    ("<think>3+8 is 11</think> #### 11", "11"),
    ("#### 12", "11"),
    ("<think>#### 11</think> #### 12", "11"),  # the right number only in the scratch work
    ("The answer is 1,234.", "Natalia sold 1234 clips. #### 1234"),
    ("<think>never closed #### 11", "11"),
    ("", "11"),
]


def test_math_reward_is_verify_math_for_text_and_chat():
    completions, golds = zip(*MATH, strict=True)
    expected = [verify_math(c, g).reward for c, g in MATH]
    prompts = ["p"] * len(MATH)
    assert rw.math_reward(prompts, list(completions), answer=list(golds)) == expected
    assert rw.math_reward(prompts, [chat(c) for c in completions], answer=list(golds)) == expected
    assert expected == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]  # the table has both verdicts
    assert all(type(r) is float for r in expected)


def test_logic_reward_accepts_dicts_json_and_arrow_filled_structs():
    problem = {"kind": "compare", "a": "9.11", "b": "9.9"}
    arrow = {**problem, "numbers": None, "target": None}  # what a mixed Arrow column gives back
    completions = ["<think>0.9 > 0.11</think> #### 9.9", "#### 9.11", "#### 9.9"]
    got = rw.logic_reward(["p"] * 3, completions, problem=[problem, json.dumps(problem), arrow])
    assert got == [verify_logic(c, problem).reward for c in completions] == [1.0, 0.0, 1.0]
    countdown = {"kind": "countdown", "numbers": [3, 5, 7], "target": 22}
    assert rw.logic_reward(["p"], ["#### 3*5+7"], problem=[countdown]) == [1.0]
    with pytest.raises(ValueError, match="not a JSON object"):
        rw.logic_reward(["p"], ["#### 1"], problem=["{kind: compare"])


def test_code_reward_runs_the_batch_in_the_sandbox():
    tests = ["assert f(1) == 2", "assert f(5) == 6"]
    good = "Here it is:\n```python\ndef f(x):\n    return x + 1\n```"
    wrong = "def f(x):\n    return x"
    hostile = "import os\nos._exit(0)"
    completions = [good, wrong, chat(good), hostile]
    got = rw.code_reward(["p"] * 4, completions, tests=[tests, "\n".join(tests), tests, tests])
    assert got == [1.0, 0.0, 1.0, 0.0]
    assert got[:2] == [verify_code(good, tests).reward, verify_code(wrong, tests).reward]


def test_format_reward_needs_no_column():
    completions = ["<think>carry the 1</think> #### 11", "#### 11", chat("<think>x</think> 3")]
    expected = [format_reward(rw.completion_text(c)).reward for c in completions]
    assert rw.format_reward(["p"] * 3, completions, answer=["11"] * 3) == expected
    assert expected[0] == 1.0 and expected[1] < 1.0


def test_never_raises_on_model_output():
    hostile = [None, 7, "9" * 200_000, "\\boxed{9^{9^{9^{9}}}}", [{"role": "assistant"}], "\x00"]
    got = rw.math_reward(["p"] * len(hostile), hostile, answer=["9"] * len(hostile))
    assert got == [0.0] * len(hostile)


# ----------------------------------------------------------------------------- options, errors


def test_make_reward_reads_another_column_and_passes_options():
    reward = rw.make_reward("math", column="solution", name="gsm8k_reward", timeout=0.5)
    assert reward.__name__ == "gsm8k_reward"  # TRL logs rewards/<__name__>/mean
    assert reward(["p", "p"], ["#### 72", "#### 7"], solution=["... #### 72"] * 2) == [1.0, 0.0]
    with pytest.raises(KeyError, match=r"gsm8k_reward needs a dataset column 'solution'.*'answer'"):
        reward(["p"], ["#### 72"], answer=["72"], trainer_state=None, log_metric=print)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: rw.make_reward("poetry"), ValueError, "unknown domain 'poetry'"),
        (lambda: rw.math_reward(["p"], ["1", "2"], answer=["1"]), ValueError, "2 completions"),
        (lambda: rw.verify_all("math", ["1"], None), ValueError, "but none ground-truth"),
    ],
)
def test_bad_arguments_get_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- coverage, logging


@pytest.mark.parametrize(
    ("prompts", "rewards", "coverage"),
    [
        (["a", "a", "b", "b"], [1.0, 0.0, 0.0, 0.0], 0.5),
        (["a", "a", "b", "b"], [0.0, 0.0, 0.0, 0.0], 0.0),
        (["a", "b", "a", "b"], [0.0, 1.0, 1.0, 0.0], 1.0),
        ([[{"role": "user", "content": "a"}]] * 2, [0.0, 1.0], 1.0),
        ([], [], 0.0),
    ],
)
def test_batch_coverage(prompts, rewards, coverage):
    assert rw.batch_coverage(prompts, rewards) == coverage


def test_trainer_hooks_receive_coverage_and_reasons():
    metrics, extra = [], []
    rw.math_reward(
        ["p", "p", "q", "q"],
        ["#### 3", "#### 4", "#### 1", "no idea"],
        answer=["3", "3", "9", "9"],
        log_metric=lambda k, v: metrics.append((k, v)),
        log_extra=lambda k, v: extra.append((k, v)),
    )
    assert metrics == [("math_reward/coverage", 0.5)]
    ((key, reasons),) = extra
    assert key == "math_reward/reason" and len(reasons) == 4 and reasons[0] == "correct"


# ----------------------------------------------------------------------------- a real GRPOTrainer


CHARS = "0123456789+=# "
CHAT_TEMPLATE = (  # the prompt is the user's text; nothing marks the assistant turn
    "{% for m in messages %}{{ m['content'] }}{% endfor %}"
)


@pytest.fixture(scope="module")
def trl_env():
    """Everything offline: set before the first import of transformers/huggingface_hub."""
    mp = pytest.MonkeyPatch()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        mp.setenv(var, "1")
    mp.setenv("TOKENIZERS_PARALLELISM", "false")
    yield
    mp.undo()


def tiny_model_and_tokenizer(problems, seed: int = 0, warmup_steps: int = 60):
    """A character-level tokenizer and a GPT-2 of about 9k parameters, built offline.

    The model is briefly taught ``prompt#### answer`` on the problems (a few dozen steps of
    cross-entropy) so that GRPO's samples earn a mix of rewards 0 and 1; from random weights
    every reward would be 0 and the test could not tell a verifier from a constant.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1, **{c: i + 2 for i, c in enumerate(CHARS)}}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")  # one token per character
    core.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<pad>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE

    torch.manual_seed(seed)
    config = GPT2Config(
        vocab_size=len(vocab), n_positions=64, n_embd=24, n_layer=1, n_head=2,
        bos_token_id=1, eos_token_id=1, pad_token_id=0,
    )  # fmt: skip
    model = GPT2LMHeadModel(config)
    texts = [f"{p.prompt}#### {p.answer}<eos>" for p in problems]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    labels = batch.input_ids.masked_fill(batch.attention_mask == 0, -100)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-2)
    for _ in range(warmup_steps):
        loss = model(**batch, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, tokenizer


class Recorder:
    """Wraps a reward function; keeps every batch it saw and the floats it returned."""

    def __init__(self, fn):
        self.fn, self.calls = fn, []
        self.__name__ = fn.__name__  # TRL names log keys after it

    def __call__(self, prompts, completions, **kwargs):
        out = self.fn(prompts, completions, **kwargs)
        self.calls.append({"completions": list(completions), "kwargs": kwargs, "rewards": out})
        return out


def book_example() -> str:
    """The code block of book/scaling_up.md that builds and runs the GRPOTrainer."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "book/scaling_up.md").read_text(), re.S)
    (example,) = [b for b in blocks if "GRPOTrainer(" in b]
    return example


def check_logged_rewards_are_the_verifiers(trainer, recorders, gold_column="answer"):
    history = [h for h in trainer.state.log_history if "reward" in h]
    assert len(history) == 2, "two training steps, each logged"
    for rec in recorders:
        assert len(rec.calls) == 2, f"{rec.__name__} called once per step"
    seen = []
    for step, row in enumerate(history):
        total = 0.0
        for rec in recorders:
            call = rec.calls[step]
            texts = [rw.completion_text(c) for c in call["completions"]]
            if rec.__name__ == "math_reward":
                golds = call["kwargs"][gold_column]
                verdicts = [verify_math(t, g).reward for t, g in zip(texts, golds, strict=True)]
                assert "math_reward/coverage" in row
            else:
                verdicts = [format_reward(t).reward for t in texts]
            # The rewards handed to TRL are the verifier's verdicts on the logged completions...
            assert call["rewards"] == verdicts
            mean = sum(verdicts) / len(verdicts)
            # ...and TRL logged exactly their mean.
            assert row[f"rewards/{rec.__name__}/mean"] == pytest.approx(mean, abs=1e-6)
            total += mean
            seen += verdicts if rec.__name__ == "math_reward" else []
        assert row["reward"] == pytest.approx(total, abs=1e-6)
    assert {0.0, 1.0} <= set(seen), "the run must see both verdicts, or the test proves little"


@pytest.mark.slow
def test_book_example_trains_grpo_with_our_verifier(trl_env, tmp_path, monkeypatch):
    import torch

    import reasonlab as rl

    torch.set_num_threads(1)
    problems = rl.tasks.make("math", 16, difficulty=(1, 2), seed=0)
    model, tokenizer = tiny_model_and_tokenizer(problems)
    assert 8_000 < sum(p.numel() for p in model.parameters()) < 10_000  # as the page says
    recorders = [Recorder(rw.math_reward), Recorder(rw.format_reward)]
    monkeypatch.setattr(rw, "math_reward", recorders[0])
    monkeypatch.setattr(rw, "format_reward", recorders[1])
    namespace = {
        "model": model,
        "tokenizer": tokenizer,
        "output_dir": str(tmp_path),
        "device_options": {"use_cpu": True, "bf16": False, "activation_checkpointing": False},
    }
    exec(compile(book_example(), "book/scaling_up.md", "exec"), namespace)
    check_logged_rewards_are_the_verifiers(namespace["trainer"], recorders)


@pytest.mark.slow
def test_grpo_with_conversational_prompts(trl_env, tmp_path):
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    import reasonlab as rl

    torch.set_num_threads(1)
    problems = rl.tasks.make("math", 8, difficulty=1, seed=1)
    model, tokenizer = tiny_model_and_tokenizer(problems, seed=1)
    rows = [{"prompt": [{"role": "user", "content": p.prompt}], "gold": p.answer} for p in problems]
    reward = Recorder(rw.make_reward("math", column="gold", name="math_reward"))
    args = GRPOConfig(
        output_dir=str(tmp_path), num_generations=4, per_device_train_batch_size=8,
        max_completion_length=16, max_steps=2, logging_steps=1, report_to="none", seed=0,
        use_cpu=True, bf16=False, activation_checkpointing=False,
    )  # fmt: skip
    trainer = GRPOTrainer(
        model=model, processing_class=tokenizer, reward_funcs=[reward], args=args,
        train_dataset=Dataset.from_list(rows),
    )  # fmt: skip
    trainer.train()
    first = reward.calls[0]["completions"][0]
    assert isinstance(first, list) and first[0]["role"] == "assistant"
    check_logged_rewards_are_the_verifiers(trainer, [reward], gold_column="gold")


# ----------------------------------------------------------------------------- benchmarks/trl_grpo


def trl_grpo_benchmark():
    import importlib.util

    spec = importlib.util.spec_from_file_location("trl_grpo", ROOT / "benchmarks/trl_grpo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_trl_benchmark_copies_our_policy_into_gpt2_exactly(trl_env):
    import torch

    from reasonlab.shipped import zoo
    from reasonlab.world import tasks

    bench = trl_grpo_benchmark()
    torch.set_num_threads(1)
    policy = zoo.load("base")
    model, tokenizer = bench.to_gpt2(policy), bench.hf_tokenizer(policy)
    assert sum(p.numel() for p in model.parameters()) == policy.num_parameters()
    prompts = [p.prompt for p in tasks.make(**zoo.RL_PROBLEMS)[:64]]
    diffs = bench.check_copy(policy, model, tokenizer, prompts)
    assert diffs["right_pad"] <= bench.COPY_ATOL and diffs["left_pad"] <= bench.LEFT_PAD_ATOL
    # Why the copy numbers positions from the mask: plain GPT-2, left-padded, is another policy.
    assert diffs["left_pad_plain_gpt2"] > 100 * bench.LEFT_PAD_ATOL
    with torch.no_grad():  # a copy that is off by a little must fail the check
        model.transformer.h[1].mlp.c_fc.weight[3, 5] += 1e-2
    with pytest.raises(AssertionError, match="differs from our model"):
        bench.check_copy(policy, model, tokenizer, prompts)


@pytest.mark.slow
def test_trl_benchmark_json_reports_both_sides():
    import subprocess
    import sys

    script = ROOT / "benchmarks" / "trl_grpo.py"
    run = subprocess.run(
        [sys.executable, str(script), "--json", "--steps", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(run.stdout)  # stdout is one JSON object and nothing else
    bench = trl_grpo_benchmark()
    for side in ("ours", "trl"):
        assert set(bench.KEYS) <= set(result[side]), side
        for key in ("steps_per_s", "steps_per_cpu_s", "tokens_per_s", "tokens_per_cpu_s"):
            assert result[side][key] > 0, (side, key)
        assert result[side]["steps"] == 1 and result[side]["samples_per_step"] == 256
        assert 1 <= result[side]["mean_completion_tokens"] <= 96
    assert result["ours"]["params"] == result["trl"]["params"] == result["params"]
    phases = result["ours"]["cpu_s_per_step_by_phase"]
    assert set(phases) == set(bench.PHASES) and all(v > 0 for v in phases.values())
    assert sum(phases.values()) <= result["ours"]["cpu_s_per_step"]  # the log row is outside
    assert result["trl"]["copy_max_logit_diff"] <= bench.COPY_ATOL
    assert result["trl"]["copy_max_logit_diff_left_pad"] <= bench.LEFT_PAD_ATOL
    for key in ("steps_per_s", "steps_per_cpu_s", "tokens_per_s", "tokens_per_cpu_s"):
        assert result[f"ratio_{key}"] > 0
    assert set(result["versions"]) == {"torch", "trl", "transformers"}
    assert result["threads"] >= 1
