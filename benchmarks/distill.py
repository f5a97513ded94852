"""Does the distilled student serve cheaply? Pass rate, size, tokens and sampling speed.

For the tutor (``rl.zoo.load("rlvr")``) and the shipped distilled students (a quarter and a half
of its parameters, ``rl.distill.load_student``) this prints: parameters, held-out greedy pass rate
overall and per difficulty, tokens per answer, and sampling throughput of greedy decoding over
the same problems, batched (``--batch`` prompts per ``sample`` call) and one prompt at a time
(the latency a single user sees). Throughput is wall-clock on a shared machine: best of
``--repeats`` runs, and still noisy; compare the ratios, not the absolute numbers.

Usage:
    .venv/bin/python benchmarks/distill.py [--prompts 400] [--batch 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import reasonlab as rl
from reasonlab.shipped import distill


def throughput(policy, prompts: list[str], batch: int, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` answers/s and tokens/s of greedy sampling in batches of ``batch``."""
    best = None
    for _ in range(repeats):
        start, tokens = time.perf_counter(), 0
        for i in range(0, len(prompts), batch):
            tokens += sum(policy.sample(prompts[i : i + batch], temperature=0.0).num_tokens)
        wall = time.perf_counter() - start
        best = wall if best is None else min(best, wall)
    return {"answers_per_s": len(prompts) / best, "tokens_per_s": tokens / best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=400, help="held-out math problems")
    parser.add_argument("--batch", type=int, default=100, help="prompts per sample() call")
    parser.add_argument("--single", type=int, default=40, help="prompts timed one at a time")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (best is kept)")
    parser.add_argument("--seed", type=int, default=0, help="problem seed")
    args = parser.parse_args()

    rl.set_seed(args.seed)
    problems = rl.tasks.make("math", args.prompts, difficulty=(1, 4), seed=args.seed, split="test")
    prompts = [p.prompt for p in problems]
    policies = {"tutor": rl.zoo.load(distill.TUTOR)}
    for size in distill.SIZES:
        policies[f"student ({size})"] = distill.load_student(size)

    head = f"{'policy':18s} {'params':>8s} {'pass':>6s} " + " ".join(
        f"{'d' + str(d):>5s}" for d in range(1, 5)
    )
    head += f" {'tok/ans':>8s} {'ans/s':>8s} {'tok/s':>8s} {'ans/s@1':>8s}"
    print(f"{args.prompts} held-out math problems, greedy, seed {args.seed}")
    print(head)
    for name, policy in policies.items():
        policy.sample(prompts[:8], temperature=0.0)  # warm-up: allocator, caches
        m = rl.evaluate(policy, problems, greedy=True, seed=args.seed)
        batched = throughput(policy, prompts, args.batch, args.repeats)
        single = throughput(policy, prompts[: args.single], 1, 1)
        print(
            f"{name:18s} {policy.num_parameters():8,d} {m['pass_rate']:6.3f} "
            + " ".join(f"{m[f'pass_rate/d{d}']:5.2f}" for d in range(1, 5))
            + f" {m['tokens_per_answer']:8.1f} {batched['answers_per_s']:8.0f}"
            + f" {batched['tokens_per_s']:8.0f} {single['answers_per_s']:8.1f}"
        )


if __name__ == "__main__":
    main()
