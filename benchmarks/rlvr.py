"""Benchmark the default recipe end to end: base SFT, then the default RLVR run.

Prints the wall times, throughput, peak memory, and held-out metrics before and after RL
(overall and per difficulty), plus the self-check / revision statistics of the "aha" analysis.

    .venv/bin/python benchmarks/rlvr.py            # a readable table
    .venv/bin/python benchmarks/rlvr.py --json     # one JSON object
    .venv/bin/python benchmarks/rlvr.py --skip-sft # start from the shipped base (faster)

The machine may be shared: wall times then include waiting for a core. CPU times (this
process's, ``time.process_time``) are reported beside them as a contention-robust figure.

Threads: ``REASONLAB_THREADS`` (default 1). The shipped checkpoints are built with 1 thread;
another count gives slightly different bits (and numbers).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import torch

from reasonlab import tasks, zoo
from reasonlab.evaluation import evaluate, self_check_stats
from reasonlab.rl import RLConfig, train_rlvr
from reasonlab.sft import SFTConfig, train_base
from reasonlab.utils import NUM_THREADS, set_seed

EVAL_N = 400  # held-out problems, 100 per difficulty
GEN_PROMPTS, GEN_SAMPLES = 128, 8


def held_out(policy, problems) -> dict:
    g = evaluate(policy, problems, greedy=True, seed=0)
    s = evaluate(policy, problems, greedy=False, seed=0, num_samples=4)
    out = {}
    for key, m in (("greedy", g), ("sampled", s)):
        out[f"pass_rate_{key}"] = m["pass_rate"]
        out[f"think_usage_{key}"] = m["think/usage"]
        out[f"mean_completion_tokens_{key}"] = m["completion/mean_tokens"]
        for d in (1, 2, 3, 4):
            out[f"pass_rate_{key}_d{d}"] = m[f"pass_rate/d{d}"]
            out[f"think_usage_{key}_d{d}"] = m[f"think/usage/d{d}"]
            out[f"mean_completion_tokens_{key}_d{d}"] = m[f"completion/mean_tokens/d{d}"]
    out["think_usage"] = out["think_usage_sampled"]
    out["mean_completion_tokens"] = out["mean_completion_tokens_sampled"]
    sampled = policy.sample([p.prompt for p in problems], num_samples=4, seed=1)
    out["self_check"] = self_check_stats(sampled.completions)
    return out


def gen_throughput(policy, problems) -> tuple[float, float]:
    """Samples per second of wall time and per second of this process's CPU time."""
    prompts = [p.prompt for p in problems[:GEN_PROMPTS]]
    policy.sample(prompts[:8], num_samples=2, seed=0)  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    out = policy.sample(prompts, num_samples=GEN_SAMPLES, seed=0)
    return len(out) / (time.perf_counter() - t0), len(out) / (time.process_time() - c0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--skip-sft", action="store_true", help="load the shipped base")
    args = parser.parse_args()

    set_seed(0)
    result: dict = {"threads": NUM_THREADS, "torch": torch.__version__}
    if args.skip_sft:
        base = zoo.load("base")
        result["sft_wall_s"] = None
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        base, _ = train_base(SFTConfig(), progress=not args.json)
        result["sft_wall_s"] = time.perf_counter() - t0
        result["sft_cpu_s"] = time.process_time() - c0
    problems = tasks.make("math", EVAL_N, seed=0, split="test")
    result["params"] = base.num_parameters()
    result["before"] = held_out(base, problems)
    result["gen_samples_per_s_base"], result["gen_samples_per_cpu_s_base"] = gen_throughput(
        base, problems
    )

    base_copy = base.clone()
    cfg = RLConfig()
    train = tasks.make(**zoo.RL_PROBLEMS)
    c0 = time.process_time()
    hist = train_rlvr(base, train, cfg, progress=not args.json)
    result["rl_cpu_s_with_eval"] = time.process_time() - c0
    result["rl_steps"] = cfg.steps
    result["rl_wall_s"] = hist[-1]["wall_s"]
    result["rl_steps_per_s"] = cfg.steps / hist[-1]["wall_s"]
    result["rl_samples_per_step"] = cfg.prompts_per_step * cfg.num_samples
    # Same recipe and seed as the shipped checkpoints: bit for bit on the CPU that built them;
    # another CPU's float32 kernels round differently (tests/test_zoo.py compares behaviour).
    for name, pol in (("base", None), ("rlvr", base)):
        if name == "base" and args.skip_sft:
            continue
        ref = zoo.load(name, train_if_missing=False).model.state_dict()
        mine = (pol or base_copy).model.state_dict()
        result[f"matches_shipped_{name}"] = all(torch.equal(v, ref[k]) for k, v in mine.items())
    result["after"] = held_out(base, problems)
    result["gen_samples_per_s"], result["gen_samples_per_cpu_s"] = gen_throughput(base, problems)
    b, a = result["before"], result["after"]
    result["sampled_gain"] = a["pass_rate_sampled"] - b["pass_rate_sampled"]
    result["length_ratio"] = a["mean_completion_tokens"] / b["mean_completion_tokens"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    print(f"threads {NUM_THREADS}, {result['params']:,} parameters")
    if result["sft_wall_s"] is not None:
        print(f"base SFT            {result['sft_wall_s']:.1f} s")
    print(
        f"RL ({cfg.steps} steps)      {result['rl_wall_s']:.1f} s, "
        f"{result['rl_steps_per_s']:.2f} steps/s, {result['rl_samples_per_step']} samples/step"
    )
    print(
        f"generation          {result['gen_samples_per_s_base']:.0f} samples/s (base), "
        f"{result['gen_samples_per_s']:.0f} samples/s (after RL)"
    )
    print(f"peak RSS            {result['peak_rss_mb']:.0f} MB")
    print(f"{'':28s}{'before':>10s}{'after':>10s}")
    for key in (
        "pass_rate_greedy",
        "pass_rate_greedy_d4",
        "pass_rate_sampled",
        "think_usage",
        "mean_completion_tokens",
    ):
        print(f"{key:28s}{b[key]:10.3f}{a[key]:10.3f}")
    for d in (1, 2, 3, 4):
        key = f"pass_rate_greedy_d{d}"
        print(f"{key:28s}{b[key]:10.3f}{a[key]:10.3f}")
    print("self-checks (sampled):")
    for key in b["self_check"]:
        print(f"  {key:26s}{b['self_check'][key]:10.3f}{a['self_check'][key]:10.3f}")


if __name__ == "__main__":
    main()
