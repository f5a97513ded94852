"""Where the reasoning comes from: the four answers of notebook 13, from the shipped runs.

Reads the shipped artifacts ``origins/*`` (``python -m reasonlab.build origins`` makes them) and
prints, over the paired seeds, means with 95% t-intervals:

* ``prior``: per share of thinking demonstrations in the base (``think_frac``), the base's
  thinking share and pass@8 counting thinking samples only, the held-out greedy pass after the
  default RL run and its gain, the thinking share after RL;
* ``controls``: per reward (the verifier, a fair coin, format only, the negated verdict), the
  held-out greedy pass before and after the same RL run (and the sampled pass after);
* ``narrow``: RL or SFT on 1, 16 or 256 fixed prompts: pass on the practised prompts and
  held-out greedy pass (overall, with its interval, and per difficulty);
* ``checks``: per self-check priming, how the base's checks judge (caught errors, false
  alarms, fixes), checks per step before and after RL, pass and tokens after RL.

Usage:
    .venv/bin/python benchmarks/origins.py           # readable lines
    .venv/bin/python benchmarks/origins.py --json    # one JSON object
"""

from __future__ import annotations

import argparse
import json

from reasonlab.shipped import origins
from reasonlab.shipped import origins_summary as osum


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    out = osum.benchmark(origins.load())
    if args.json:
        print(json.dumps(out))
        return
    print(f"paired seeds {out['seeds']}")
    for r in out["prior"]:
        print(
            f"think_frac {r['think_frac']:<5g} base thinks {r['base_think']:.3f}, "
            f"pass@8 by thinking {r['base_pass_k_think']:.3f} -> RL pass "
            f"{r['rl_pass']['mean']:.3f} {r['rl_pass']['ci95']}, thinks {r['rl_think']:.3f}"
        )
    for name, r in out["controls"].items():
        print(f"reward {name:9s} pass {r['pass_before']:.3f} -> {r['pass_after']['mean']:.3f} "
              f"{r['pass_after']['ci95']}")  # fmt: skip
    for r in out["narrow"]:
        print(f"narrow {r['prompts']:>3d} {r['method']:3s} practised {r['practised']:.3f} "
              f"held-out {r['held_out']:.3f} {r['held_out_ci95']}")  # fmt: skip
    for r in out["checks"]:
        print(f"checks {r['style']:8s} {r['check_rate']:<4g} caught {r['caught']} false alarm "
              f"{r['false_alarm']} fixed {r['fixed']} checks/step after RL "
              f"{r['checks_per_step_after_rl']}")  # fmt: skip


if __name__ == "__main__":
    main()
