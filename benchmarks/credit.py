"""Credit assignment: how well each method's step advantages track the true ones, and what it buys.

Reads the shipped results of ``python -m reasonlab.build credit`` (five paired seeds per method,
the credit microscope, the reward-hacking runs) and prints, per method, the correlation of its
step advantages with the true ones (64 rollouts per prefix), how often it blames the first wrong
step, the final held-out greedy pass rate with its 95% t-interval over seeds, the tokens a run
generated (rollouts plus value rollouts) and its training time; and per proxy reward (``+kl``:
with the KL brake) the final held-out proxy reward and strict pass rate.

Usage:
    .venv/bin/python benchmarks/credit.py [--json] [--rebuild]
"""

from __future__ import annotations

import argparse
import json

from reasonlab.shipped import credit_summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--rebuild", action="store_true", help="retrain first (python -m reasonlab.build credit)"
    )
    args = parser.parse_args()
    if args.rebuild:
        from reasonlab import build

        build.main(["credit"])
    out = credit_summary.benchmark()
    if args.json:
        print(json.dumps(out))
        return
    print(f"seeds {out['seeds']}")
    head = f"{'method':16s} {'corr':>6s} {'blame':>6s} {'greedy pass [95% CI]':>24s}"
    print(f"{head} {'tokens':>9s} {'s':>6s}")
    for name, m in out["methods"].items():
        p = m["pass_rate_greedy"]
        ci = f"{p['mean']:.3f} [{p['ci95'][0]:.3f}, {p['ci95'][1]:.3f}]"
        print(
            f"{name:16s} {m['step_value_corr']:6.3f} {m['blames_first_error']:6.3f} {ci:>24s}"
            f" {m['generated_tokens']:9d} {m['wall_s']:6.1f}"
        )
    print(f"{'proxy':16s} {'proxy reward':>12s} {'true pass':>10s}")
    for name, h in out["hacking"].items():
        print(f"{name:16s} {h['proxy_reward_final']:12.3f} {h['true_pass_final']:10.3f}")


if __name__ == "__main__":
    main()
