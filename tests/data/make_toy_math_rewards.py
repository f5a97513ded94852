"""Regenerate ``toy_math_rewards.jsonl.gz``: toy completions and the math rewards they got.

The toy policies' own outputs (the shipped ``base`` and ``rlvr`` checkpoints, and an untrained
policy whose samples are near-uniform over the toy vocabulary), sampled on math prompts at two
temperatures, each stored with the reward and reason ``verify_math`` gave it when the file was
written. ``tests/test_verifiers_math.py::test_toy_rewards_unchanged`` checks that the verifier
still gives every one of them the same reward, so training on the toy is unchanged.

    .venv/bin/python tests/data/make_toy_math_rewards.py   # about a minute
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import torch

from reasonlab.shipped import zoo
from reasonlab.verifiers import verify_math
from reasonlab.world import tasks
from reasonlab.world.policy import Policy

OUT = Path(__file__).with_name("toy_math_rewards.jsonl.gz")


def main() -> None:
    problems = tasks.make("math", 200, seed=11)
    torch.manual_seed(0)  # the untrained policy's weights
    policies = [("base", zoo.load("base")), ("rlvr", zoo.load("rlvr")), ("untrained", Policy())]
    rows = []
    for name, policy in policies:
        for temperature in (1.0, 1.6):
            out = policy.sample(
                [p.prompt for p in problems], num_samples=4, temperature=temperature, seed=7
            )
            for row, completion in enumerate(out.completions):
                gold = problems[row // out.num_samples].answer
                r = verify_math(completion, gold)
                rows.append(
                    {"policy": name, "temperature": temperature, "completion": completion,
                     "gold": gold, "reward": r.reward, "reason": r.reason}
                )  # fmt: skip
    with gzip.open(OUT, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"{len(rows)} completions, {sum(r['reward'] for r in rows):.0f} rewarded -> {OUT.name}")


if __name__ == "__main__":
    main()
