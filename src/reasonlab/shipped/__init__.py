"""The shipped runs: checkpoints, comparisons over seeds, distillation, sweeps."""
