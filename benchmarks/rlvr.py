"""Benchmark the default recipe end to end: base SFT, then the default RLVR run.

Prints the wall times, throughput, peak memory, and held-out metrics before and after RL
(overall and per difficulty), plus the self-check / revision statistics of the "aha" analysis.

    .venv/bin/python benchmarks/rlvr.py            # a readable table
    .venv/bin/python benchmarks/rlvr.py --json     # one JSON object
    .venv/bin/python benchmarks/rlvr.py --skip-sft # start from the shipped base (faster)
    .venv/bin/python benchmarks/rlvr.py --json --seeds 1,2,3,4,5  # the base recipe over seeds

``--seeds``: the base's SFT seed (default 0, the shipped ``base``; seeds 1-5 are the zoo's
``base-s1`` .. ``base-s5``); each seed trains its own base and runs the default RL from it.
The JSON then also has ``over_seeds``: mean and min of the headline figures (base greedy pass,
RL greedy pass, RL greedy pass on 4 digits) and ``per_seed``, one result per seed. The RL
step's throughput (``rl_steps_per_cpu_s``, ``rl_tokens_per_cpu_s`` and their wall-time twins)
leaves out the held-out evaluations the run makes along the way.

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

from reasonlab.core import metrics
from reasonlab.core.utils import NUM_THREADS, set_seed
from reasonlab.measurement.evaluation import evaluate, self_check_stats
from reasonlab.shipped import zoo
from reasonlab.training import rl as rl_module
from reasonlab.training.rl import RLConfig, train_rlvr
from reasonlab.training.sft import train_base
from reasonlab.world import tasks

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


_HELD_OUT = rl_module.held_out


def timed_held_out(spent: list[float]):
    """``rl.held_out`` that adds its CPU and wall time to ``spent`` (to leave evals out)."""
    inner = _HELD_OUT

    def wrapped(*args, **kwargs):
        c0, t0 = time.process_time(), time.perf_counter()
        out = inner(*args, **kwargs)
        spent[0] += time.process_time() - c0
        spent[1] += time.perf_counter() - t0
        return out

    return wrapped


def sft_config(seed: int):
    return zoo.default_sft_config() if seed == 0 else zoo.seed_sft_config(seed)


def zoo_name(seed: int) -> str:
    return "base" if seed == 0 else zoo.seed_base(seed)


def one_seed(seed: int, skip_sft: bool, progress: bool) -> dict:
    """Base SFT (or the shipped base) for ``seed``, the default RL run from it, evaluations."""
    set_seed(0)
    result: dict = {"seed": seed}
    if skip_sft:
        base = zoo.load(zoo_name(seed))
        result["sft_wall_s"] = None
    else:
        t0, c0 = time.perf_counter(), time.process_time()
        base, _ = train_base(sft_config(seed), progress=progress)
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
    spent = [0.0, 0.0]  # CPU and wall seconds of the run's own held-out evaluations
    rl_module.held_out = timed_held_out(spent)
    try:
        c0 = time.process_time()
        hist = train_rlvr(base, train, cfg, progress=progress)
        result["rl_cpu_s_with_eval"] = time.process_time() - c0
    finally:
        rl_module.held_out = _HELD_OUT
    steps = hist[1:]
    tokens = sum(r[metrics.MEAN_TOKENS] for r in steps) * cfg.prompts_per_step * cfg.num_samples
    # hist[-1]["wall_s"] counts the steps only; the CPU interval also holds the run's held-out
    # evaluations (at step 0 and every eval_every steps), which are taken out.
    result["rl_cpu_s"] = result["rl_cpu_s_with_eval"] - spent[0]
    result["rl_steps"] = cfg.steps
    result["rl_wall_s"] = hist[-1]["wall_s"]
    result["rl_steps_per_s"] = cfg.steps / hist[-1]["wall_s"]
    result["rl_steps_per_cpu_s"] = cfg.steps / result["rl_cpu_s"]
    result["rl_cpu_s_per_step"] = result["rl_cpu_s"] / cfg.steps
    result["rl_tokens_per_s"] = tokens / hist[-1]["wall_s"]
    result["rl_tokens_per_cpu_s"] = tokens / result["rl_cpu_s"]
    result["rl_samples_per_step"] = cfg.prompts_per_step * cfg.num_samples
    # Same recipe and seed as the shipped checkpoints: bit for bit on the CPU that built them;
    # another CPU's float32 kernels round differently (tests/test_zoo.py compares behaviour).
    for name, pol in ((zoo_name(seed), None), ("rlvr", base)):
        if (pol is None and skip_sft) or (name == "rlvr" and seed != 0):
            continue
        ref = zoo.load(name, train_if_missing=False).model.state_dict()
        mine = (pol or base_copy).model.state_dict()
        key = "base" if pol is None else name
        result[f"matches_shipped_{key}"] = all(torch.equal(v, ref[k]) for k, v in mine.items())
    result["after"] = held_out(base, problems)
    result["gen_samples_per_s"], result["gen_samples_per_cpu_s"] = gen_throughput(base, problems)
    b, a = result["before"], result["after"]
    result["sampled_gain"] = a["pass_rate_sampled"] - b["pass_rate_sampled"]
    result["length_ratio"] = a["mean_completion_tokens"] / b["mean_completion_tokens"]
    return result


#: The figures summarised over seeds: (name, where in a seed's result).
HEADLINE = (
    ("base_pass_rate_greedy", ("before", "pass_rate_greedy")),
    ("rl_pass_rate_greedy", ("after", "pass_rate_greedy")),
    ("rl_pass_rate_greedy_d4", ("after", "pass_rate_greedy_d4")),
)


def over_seeds(per_seed: list[dict]) -> dict:
    """Mean and min of each headline figure over the seeds."""
    out = {}
    for name, (part, key) in HEADLINE:
        vals = [r[part][key] for r in per_seed]
        out[name] = {"mean": sum(vals) / len(vals), "min": min(vals)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--skip-sft", action="store_true", help="load the shipped base(s)")
    parser.add_argument(
        "--seeds", default="0", help="comma-separated base seeds (0 = the shipped base; 1-5)"
    )
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    per_seed = [one_seed(s, args.skip_sft, not args.json) for s in seeds]
    result: dict = {"threads": NUM_THREADS, "torch": torch.__version__, **per_seed[0]}
    if len(seeds) > 1:
        result["per_seed"] = per_seed
    result["seeds"] = seeds
    result["over_seeds"] = over_seeds(per_seed)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cfg = RLConfig()
    b, a = result["before"], result["after"]

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
        f"RL step CPU         {result['rl_cpu_s_per_step']:.3f} s/step, "
        f"{result['rl_tokens_per_cpu_s']:.0f} tokens/CPU-s (held-out evaluations left out)"
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
    if len(seeds) > 1:
        print(f"over seeds {seeds}:{'mean':>14s}{'min':>10s}")
        for name, v in result["over_seeds"].items():
            print(f"  {name:26s}{v['mean']:10.3f}{v['min']:10.3f}")


if __name__ == "__main__":
    main()
