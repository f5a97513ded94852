"""Our RL step now against the same step at an earlier commit, at equal work, one thread.

Both sides start from the same checkpoint (this tree's shipped ``base``), train on the same
problems (``RL_PROBLEMS``) at ``RLConfig()`` defaults (32 prompts x 8 samples), and time the
same pieces of the loop (rollout, verify, update, log row) after one warm-up step, in CPU
seconds of their own process. The earlier side runs from a temporary ``git worktree`` of
``--ref`` (default :data:`FILED_AT`, the code of the day issue 13 asked for a step twice as
fast), so the figure can be re-measured from any clone that has the history. The sides run
alternately, ``--rounds`` times each, so a machine whose speed drifts (a shared host) slows
both alike; the ratios are of the medians and of the minima, and the paired ratio of each
round is listed too.

Equal work is checked, not assumed: both sides report their mean completion length and mean
reward, which differ only where float rounding has flipped a sample (the earlier code scores
with other kernels) and must stay within :data:`WORK_TOLERANCE` of each other.

    .venv/bin/python benchmarks/rl_step_history.py            # a readable summary
    .venv/bin/python benchmarks/rl_step_history.py --json     # one JSON object
    .venv/bin/python benchmarks/rl_step_history.py --rounds 8 --steps 20

The earlier side's loop is written against the flat package layout of :data:`FILED_AT`
(``reasonlab.rl``, ``reasonlab.tasks``, ...); another ``--ref`` needs that layout too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The commit the speed target was set against (issue 13, item 5).
FILED_AT = "469e9ed"
#: Largest relative difference in mean completion length between the two sides.
WORK_TOLERANCE = 0.05

#: The step loop, for both sides: its first argument (``flat`` or ``layered``) picks the import
#: paths of the package layout; it prints one JSON object.
LOOP = r"""
import json, random, sys, time
import torch
if sys.argv[1] == "flat":
    from reasonlab import rl, tasks, zoo
    from reasonlab.policy import Policy
    from reasonlab.rl import RLConfig
    from reasonlab.utils import set_seed
    verify = lambda batch, cfg, step: rl.verify(batch, cfg)
else:
    from reasonlab.core.utils import set_seed
    from reasonlab.shipped import zoo
    from reasonlab.training import rl
    from reasonlab.training.rl import RLConfig
    from reasonlab.world import tasks
    from reasonlab.world.policy import Policy
    verify = rl.verify
checkpoint, steps = sys.argv[2], int(sys.argv[3])
set_seed(0)
policy = Policy.from_state(torch.load(checkpoint, map_location="cpu", weights_only=True))
policy.model.eval()
problems = tasks.make(**zoo.RL_PROBLEMS)
cfg = RLConfig()
set_seed(cfg.seed)
learner = rl.Learner.start(policy, cfg)
rng = random.Random(f"rl/{cfg.seed}")
phases = [0.0, 0.0, 0.0]
tokens, rewards = 0, []
for step in range(1, steps + 2):
    if step == 2:
        c0 = time.process_time()
    c = [time.process_time()]
    batch = rl.rollout(policy, problems, rng, cfg, step)
    c.append(time.process_time())
    batch = verify(batch, cfg, step)
    c.append(time.process_time())
    stats = rl.update(learner, batch, cfg, step)
    c.append(time.process_time())
    rl.log_row(step, batch, stats, 0.0)
    if step > 1:
        tokens += sum(batch.out.num_tokens)
        rewards.append(float(batch.reward.mean()))
        for i in range(3):
            phases[i] += c[i + 1] - c[i]
cpu = time.process_time() - c0
n = cfg.prompts_per_step * cfg.num_samples
print(json.dumps({
    "cpu_s_per_step": cpu / steps,
    "rollout": phases[0] / steps, "verify": phases[1] / steps, "update": phases[2] / steps,
    "mean_completion_tokens": tokens / (steps * n), "reward_mean": sum(rewards) / steps,
    "torch": torch.__version__,
}))
"""

PIECES = ("cpu_s_per_step", "rollout", "verify", "update")


def run_side(src: Path, layout: str, checkpoint: Path, steps: int) -> dict:
    """One timed run of the loop with ``src`` first on the path, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(src), "TQDM_DISABLE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", LOOP, layout, str(checkpoint), str(steps)],
        capture_output=True, text=True, env=env, timeout=1800,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the {layout} side failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def worktree(ref: str, where: Path) -> Path:
    """A detached worktree of ``ref`` under ``where`` (a clear error if ``ref`` is unknown)."""
    probe = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if probe.returncode != 0:
        raise SystemExit(f"--ref {ref!r} is not a commit of {ROOT} (a shallow clone lacks it)")
    path = where / "ref"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(path), ref],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def summary(then: list[dict], now: list[dict]) -> dict:
    out = {}
    for key in PIECES:
        a, b = [r[key] for r in then], [r[key] for r in now]
        out[key] = {
            "then_min": min(a), "then_median": statistics.median(a),
            "now_min": min(b), "now_median": statistics.median(b),
            "speedup_of_medians": statistics.median(a) / statistics.median(b),
            "speedup_of_minima": min(a) / min(b),
        }  # fmt: skip
    pairs = zip(then, now, strict=True)
    out["paired_speedups"] = [t["cpu_s_per_step"] / n["cpu_s_per_step"] for t, n in pairs]
    tok_then = statistics.mean(r["mean_completion_tokens"] for r in then)
    tok_now = statistics.mean(r["mean_completion_tokens"] for r in now)
    out["mean_completion_tokens"] = {"then": tok_then, "now": tok_now}
    out["reward_mean"] = {
        "then": statistics.mean(r["reward_mean"] for r in then),
        "now": statistics.mean(r["reward_mean"] for r in now),
    }
    out["equal_work"] = abs(tok_then - tok_now) <= WORK_TOLERANCE * tok_then
    return out


def compare(ref: str, rounds: int, steps: int) -> dict:
    from reasonlab.shipped import zoo

    checkpoint = zoo.path_of("base")
    if not checkpoint.exists():
        raise SystemExit(f"no shipped base at {checkpoint}")
    then, now = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tree = worktree(ref, Path(tmp))
        try:
            for _ in range(rounds):
                then.append(run_side(tree / "src", "flat", checkpoint, steps))
                now.append(run_side(ROOT / "src", "layered", checkpoint, steps))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )  # fmt: skip
    out = summary(then, now)
    out.update(ref=ref, rounds=rounds, steps=steps, warmup_steps=1, then=then, now=now)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--ref", default=FILED_AT, help="the earlier commit (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each side, alternating")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    result = compare(args.ref, args.rounds, args.steps)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return
    print(f"{args.ref} against now: {args.rounds} rounds x {args.steps} steps, CPU-s a step")
    for key in PIECES:
        r = result[key]
        print(
            f"{key:15s} then {r['then_median']:.4f} (min {r['then_min']:.4f})  now "
            f"{r['now_median']:.4f} (min {r['now_min']:.4f})  speedup "
            f"{r['speedup_of_medians']:.2f}x (of minima {r['speedup_of_minima']:.2f}x)"
        )
    paired = ", ".join(f"{x:.2f}" for x in result["paired_speedups"])
    tok = result["mean_completion_tokens"]
    print(f"paired speedups: {paired}")
    print(
        f"equal work: {result['equal_work']} (mean completion tokens then {tok['then']:.3f}, "
        f"now {tok['now']:.3f})"
    )


if __name__ == "__main__":
    main()
