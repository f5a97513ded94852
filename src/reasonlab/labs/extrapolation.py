"""The reward explorer's extrapolation past the measured steps: a saturating curve and its band.

The curve is

    pass_rate(t) = a + b * (1 - exp(-t / tau)),

fitted by least squares (for each tau on a log grid, a and b are linear and solved exactly; the
tau with the smallest squared error wins). The band is a residual bootstrap: refit on the fitted
curve plus resampled residuals, 200 times with a fixed seed, and take the 10th-90th percentiles.
A three-parameter curve through a handful of noisy points is a rough guide, not a forecast: the
band says how rough, and it widens as you move away from the data.
"""

from __future__ import annotations

import numpy as np

BOOTSTRAP = 200
BAND = (10, 90)  # percentiles of the bootstrap band
TAUS = np.geomspace(0.5, 400.0, 80)  # grid for the time constant of the fit, in steps


def saturating(t: np.ndarray, a: float, b: float, tau: float) -> np.ndarray:
    """a + b (1 - exp(-t / tau)): starts at a, approaches a + b with time constant tau."""
    return a + b * (1.0 - np.exp(-np.asarray(t, dtype=float) / tau))


def fit_saturating(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares fit of :func:`saturating` to one or many curves at once.

    Args:
        t: (T,) steps.
        y: (T,) or (B, T) values.

    Returns:
        (3,) or (B, 3): a, b, tau of the best fit (tau from the grid ``TAUS``).
    """
    t = np.asarray(t, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))  # (B, T)
    if y.shape[1] != t.shape[0] or t.shape[0] < 3:
        raise ValueError(f"need >= 3 points and matching shapes, got t {t.shape}, y {y.shape}")
    x = 1.0 - np.exp(-t[None, :] / TAUS[:, None])  # (G, T)
    # For fixed tau this is ordinary least squares on [1, x]: closed form per grid point.
    xm, ym = x.mean(axis=1), y.mean(axis=1)  # (G,), (B,)
    xc = x - xm[:, None]  # (G, T)
    sxx = (xc**2).sum(axis=1)  # (G,)
    sxy = np.einsum("gt,bt->bg", xc, y)  # (B, G)
    b = sxy / sxx[None, :]  # (B, G)
    a = ym[:, None] - b * xm[None, :]  # (B, G)
    pred = a[:, :, None] + b[:, :, None] * x[None, :, :]  # (B, G, T)
    sse = ((pred - y[:, None, :]) ** 2).sum(axis=2)  # (B, G)
    g = sse.argmin(axis=1)  # (B,)
    rows = np.arange(y.shape[0])
    out = np.stack([a[rows, g], b[rows, g], TAUS[g]], axis=1)
    return out[0] if out.shape[0] == 1 and np.ndim(y) == 2 and y.shape[0] == 1 else out


def bootstrap_band(t: np.ndarray, y: np.ndarray, grid: np.ndarray, *, seed: int = 0):
    """The fit on ``grid`` and its (low, high) residual-bootstrap band.

    Returns:
        (fit, low, high), each shaped like ``grid``.
    """
    t, y, grid = (np.asarray(v, dtype=float) for v in (t, y, grid))
    params = fit_saturating(t, y)
    fitted = saturating(t, *params)
    resid = y - fitted
    rng = np.random.default_rng(seed)
    boot_y = fitted[None, :] + rng.choice(resid, size=(BOOTSTRAP, len(t)), replace=True)
    boot = fit_saturating(t, boot_y)  # (BOOTSTRAP, 3)
    curves = boot[:, :1] + boot[:, 1:2] * (1 - np.exp(-grid[None, :] / boot[:, 2:3]))
    low, high = np.percentile(curves, BAND, axis=0)
    return saturating(grid, *params), low, high
