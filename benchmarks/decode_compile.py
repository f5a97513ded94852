"""The sampler's decode step compiled by ``torch.compile`` against the eager step, one thread.

Issue 13 asked for an RL step twice as fast as on the day it was filed; the step now is about
1.6x (``benchmarks/rl_step_history.py``). Its rollout is some 50 decode steps of ~40 small ops
each (a fixed cost per op, then thin matrix products and pointwise passes over every live row).
Fusing those ops is what a compiler is for, so this
measures what ``torch.compile`` (Inductor, dynamic shapes: the batch shrinks as rows finish and
the cache grows every step) makes of :meth:`reasonlab.world.gpt.GPT.decode_step` on the RL
batch of the shipped ``base`` (``RLConfig()``: 32 prompts x 8 samples, temperature 1).

After ``--warmup`` compiled calls (the compilation, timed apart), the two sides sample
alternately with the same seeds, ``--calls`` times each, in CPU seconds of this process. Equal
work is checked: the compiled kernels round differently, so a few samples may flip, and the
share of rows whose tokens are identical on both sides is reported (``rows_identical``).

    .venv/bin/python benchmarks/decode_compile.py            # a readable summary
    .venv/bin/python benchmarks/decode_compile.py --json     # one JSON object
    .venv/bin/python benchmarks/decode_compile.py --mode max-autotune-no-cudagraphs
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from reasonlab.core.utils import set_seed
from reasonlab.shipped import zoo
from reasonlab.training.rl import RLConfig


def measure(calls: int, warmup: int, mode: str | None = None) -> dict:
    """Eager and compiled sampling of one RL batch, alternating; see the module docstring."""
    set_seed(0)
    policy = zoo.load("base", train_if_missing=False)
    cfg = RLConfig()
    prompts = [p.prompt for p in zoo.rl_problems()[: cfg.prompts_per_step]]
    model = policy.model
    eager = model.decode_step
    compiled = torch.compile(eager, dynamic=True, mode=mode)

    def sample(step, seed: int) -> tuple[float, list]:
        model.decode_step = step  # the sampler calls ``self.model.decode_step``
        c = time.process_time()
        out = policy.sample(prompts, num_samples=cfg.num_samples, seed=seed)
        return time.process_time() - c, out.token_ids

    try:
        c = time.process_time()
        for i in range(warmup):
            sample(compiled, seed=i)
        compile_cpu_s = time.process_time() - c
        times: dict[str, list[float]] = {"eager": [], "compiled": []}
        identical, tokens = [], []
        for i in range(calls):
            order = (("eager", eager), ("compiled", compiled))
            ids = {}
            for name, step in order if i % 2 == 0 else order[::-1]:
                t, ids[name] = sample(step, seed=warmup + i)
                times[name].append(t)
            same = sum(a == b for a, b in zip(ids["eager"], ids["compiled"], strict=True))
            identical.append(same / len(ids["eager"]))
            tokens.append({k: sum(map(len, v)) for k, v in ids.items()})
    finally:
        del model.decode_step  # the class's method again
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "calls": calls, "warmup_calls": warmup, "mode": mode or "default",
        "rows": len(prompts) * cfg.num_samples,
        "compile_cpu_s": compile_cpu_s,
        "eager_cpu_s": times["eager"], "compiled_cpu_s": times["compiled"],
        "eager_median": med["eager"], "compiled_median": med["compiled"],
        "speedup_of_medians": med["eager"] / med["compiled"],
        "rows_identical": identical, "tokens": tokens, "torch": torch.__version__,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--calls", type=int, default=9, help="timed calls of each side")
    parser.add_argument("--warmup", type=int, default=4, help="compiled calls before timing")
    parser.add_argument(
        "--mode", default=None, help="torch.compile's mode, e.g. max-autotune-no-cudagraphs"
    )
    args = parser.parse_args()
    if args.calls < 1 or args.warmup < 1:
        parser.error("--calls and --warmup must be at least 1")
    r = measure(args.calls, args.warmup, args.mode)
    if args.json:
        print(json.dumps(r, sort_keys=True))
        return
    print(f"one RL batch ({r['rows']} rows), {r['calls']} calls a side, CPU-s a call")
    print(f"compilation, mode {r['mode']}, {r['warmup_calls']} warm-up calls: "
          f"{r['compile_cpu_s']:.1f} CPU-s")  # fmt: skip
    print(f"eager    median {r['eager_median']:.4f}  (min {min(r['eager_cpu_s']):.4f})")
    print(f"compiled median {r['compiled_median']:.4f}  (min {min(r['compiled_cpu_s']):.4f})")
    print(f"speedup of medians {r['speedup_of_medians']:.2f}x; rows identical: "
          f"{min(r['rows_identical']):.3f} at least")  # fmt: skip


if __name__ == "__main__":
    main()
