"""Test-time compute by difficulty, from the shipped artifacts (no sampling, a few seconds).

Reads ``testtime/sweeps`` and ``testtime/crossover`` (``python -m reasonlab.build testtime``
makes them) and prints:

* ``adaptive``: for a grid of average token budgets per problem, the accuracy of the best
  uniform strategy and of the allocations by known digits (oracle) and by the policy's probe
  signals (estimated, probes paid), all chosen on one half of the problems and scored on the
  other (majority vote, the RL policy); null where no allocation of that kind fits the budget
  on the half it is chosen on (the estimated one must also pay for its probe samples);
* ``crossover``: unbiased pass@k of the base and RL policies on 4-digit sums, k = 1 .. 256;
* ``tokens_by_difficulty``: mean tokens per answer for 1-4 digits (no thinking limit) of the
  base and RL policies, and of the run ``adaptive_thinking.REPORTED`` (``testtime/trained``:
  RL from the base with a token cost scaled by the measured difficulty, after a warm-up).

Usage:
    .venv/bin/python benchmarks/testtime.py [--json] [--policy rlvr] [--family vote]
"""

from __future__ import annotations

import argparse
import json

from reasonlab.measurement import allocation
from reasonlab.shipped import adaptive_thinking, testtime


def summary(policy: str = "rlvr", family: str = "vote", crossover_digits: int = 4) -> dict:
    sweeps = testtime.load("sweeps")
    s = allocation.strategies(sweeps, policy, family)
    budgets = allocation.budget_grid(s)
    rows = allocation.compare(s, budgets)

    def accs(grouping: str) -> list:
        return [None if r[grouping] is None else r[grouping]["acc"]["mean"] for r in rows]

    cross = testtime.crossover(testtime.load("crossover"), crossover_digits)
    tokens = {
        name: [
            r["tokens_per_answer"]
            for r in testtime.by_difficulty(sweeps)
            if r["policy"] == name and r["k"] == 1
        ]
        for name in ("base", "rlvr")
    }
    return {
        "adaptive": {
            "budget_tokens": budgets,
            "uniform_acc": accs("uniform"),
            "adaptive_oracle_acc": accs("oracle"),
            "adaptive_estimated_acc": accs("estimated"),
        },
        "crossover": {
            "k": cross["k"],
            "base_pass": cross["base"]["mean"],
            "rl_pass": cross["rlvr"]["mean"],
        },
        "tokens_by_difficulty": {
            "base": tokens["base"],
            "rl": tokens["rlvr"],
            "trained_adaptive": adaptive_thinking.tokens_by_difficulty(adaptive_thinking.load()),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--policy", default="rlvr", choices=testtime.POLICIES)
    parser.add_argument("--family", default="vote", choices=allocation.FAMILIES)
    args = parser.parse_args()
    out = summary(args.policy, args.family)
    if args.json:
        print(json.dumps(out))
        return
    a = out["adaptive"]
    print(f"{args.policy}, {args.family}: accuracy at average tokens per problem (out of fold)")
    print(f"{'budget':>8} {'uniform':>8} {'oracle':>8} {'estimated':>10}")
    for i, b in enumerate(a["budget_tokens"]):
        cells = [a[k][i] for k in ("uniform_acc", "adaptive_oracle_acc", "adaptive_estimated_acc")]
        print(f"{b:>8.1f} " + " ".join("       -" if c is None else f"{c:>8.3f}" for c in cells))
    c = out["crossover"]
    print(
        "pass@k on 4 digits:",
        ", ".join(
            f"k={k}: base {b:.3f} rl {r:.3f}"
            for k, b, r in zip(c["k"], c["base_pass"], c["rl_pass"], strict=True)
        ),
    )
    print("tokens per answer by digits:", out["tokens_by_difficulty"])


if __name__ == "__main__":
    main()
