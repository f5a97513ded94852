"""Speed of inference-time scaling on the toy policy: sampling, verifying, estimating.

Prints, for k = 1, 2, 4, ..., 32 samples per prompt over ``--prompts`` held-out math problems:
the wall time of one batched ``policy.sample`` call per prompt, generated tokens/s and
samples/s; the tokens/s of a single sequence (the per-stream speed the cost model needs); and
the time of a whole ``scaling.sweep`` with k = 1..32 split into sampling, verifying and the
exact estimators. Wall-clock times depend on what else the machine runs, so the CPU time of this
process (torch pinned to ``REASONLAB_THREADS`` threads, default 1) is printed beside them.

Usage:
    .venv/bin/python benchmarks/scaling.py [--prompts 200] [--policy base] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import reasonlab as rl
from reasonlab.measurement import scaling
from reasonlab.measurement.sweeps import curves, judge

KS = (1, 2, 4, 8, 16, 32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=200, help="held-out math problems")
    parser.add_argument("--policy", default="base", help="zoo name of the policy")
    parser.add_argument("--seed", type=int, default=0, help="problems and sampling seed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    rl.set_seed(args.seed)
    policy = rl.zoo.load(args.policy)
    problems = rl.tasks.make("math", args.prompts, difficulty=(1, 4), seed=args.seed, split="test")
    prompts = [p.prompt for p in problems]
    policy.sample(prompts[:8], num_samples=2, seed=args.seed)  # warm-up: allocator, caches

    per_k = {}
    for k in KS:
        start, cpu = time.perf_counter(), time.process_time()
        out = policy.sample(prompts, num_samples=k, seed=args.seed)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        tokens = sum(out.num_tokens)
        per_k[k] = {
            "ms_per_prompt": 1000 * wall / len(prompts),
            "cpu_ms_per_prompt": 1000 * cpu / len(prompts),
            "tokens_per_s": tokens / wall,
            "samples_per_s": len(out) / wall,
            "tokens_per_answer": tokens / len(out),
        }

    # One stream alone: the decode speed of a single sequence, for scaling.cost(tokens_per_s=).
    start = time.perf_counter()
    one = policy.sample(prompts[:1], num_samples=1, seed=args.seed)
    single_stream = sum(one.num_tokens) / (time.perf_counter() - start)

    # The whole sweep, then its parts, on the same samples.
    start, cpu = time.perf_counter(), time.process_time()
    scaling.sweep(policy, problems, ks=range(1, 33), seed=args.seed)
    sweep_s, sweep_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    out = policy.sample(prompts, num_samples=32, seed=args.seed)
    sample_s = time.perf_counter() - start
    start = time.perf_counter()
    judge([p for p in problems for _ in range(32)], out.completions)
    verify_s = time.perf_counter() - start
    samples = scaling.draw(policy, problems, num_samples=32, seed=args.seed)
    start = time.perf_counter()
    curves(samples, range(1, 33))
    estimate_s = time.perf_counter() - start

    result = {
        "policy": args.policy,
        "prompts": len(prompts),
        "per_k": per_k,
        "single_stream_tokens_per_s": single_stream,
        "sweep_k1_32_s": sweep_s,
        "sweep_k1_32_cpu_s": sweep_cpu_s,
        "sweep_parts_s": {"sample": sample_s, "verify": verify_s, "estimate": estimate_s},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"policy {args.policy!r}, {len(prompts)} held-out math prompts, seed {args.seed}")
    print(
        f"{'k':>3} {'ms/prompt':>10} {'cpu ms/prompt':>14} {'tokens/s':>10} {'samples/s':>10} "
        f"{'tokens/answer':>14}"
    )
    for k, r in per_k.items():
        print(
            f"{k:>3} {r['ms_per_prompt']:>10.2f} {r['cpu_ms_per_prompt']:>14.2f} "
            f"{r['tokens_per_s']:>10.0f} {r['samples_per_s']:>10.0f} "
            f"{r['tokens_per_answer']:>14.1f}"
        )
    print(f"one sequence alone: {single_stream:.0f} tokens/s")
    parts = result["sweep_parts_s"]
    print(
        f"sweep k = 1..32 over {len(prompts)} prompts: {sweep_s:.2f} s wall, "
        f"{sweep_cpu_s:.2f} s CPU "
        f"(sample {parts['sample']:.2f} s, verify {parts['verify']:.2f} s, "
        f"estimate {parts['estimate']:.2f} s)"
    )


if __name__ == "__main__":
    main()
