"""Small shared helpers: seeding and thread settings that make runs repeatable."""

from __future__ import annotations

import os
import random

import numpy as np

#: Threads torch may use. Fixed, because a different thread count changes the order of
#: floating-point reductions, and with it the last bits of every result.
NUM_THREADS = int(os.environ.get("REASONLAB_THREADS", "1"))


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (if installed) and pin torch's thread count.

    Args:
        seed: any non-negative integer; the same seed gives bit-identical runs on one machine.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # the verifiers and estimators work without torch
        return
    torch.manual_seed(seed)
    torch.set_num_threads(NUM_THREADS)
