"""The reward explorer's extrapolation (labs/extrapolation.py): the saturating fit and its band."""

from __future__ import annotations

import numpy as np
import pytest

from reasonlab.labs.extrapolation import bootstrap_band, fit_saturating, saturating


def test_fit_recovers_a_saturating_curve_and_the_band_covers_it():
    t = np.arange(0, 25, 4.0)
    truth = saturating(t, 0.3, 0.5, 10.0)
    noise = np.random.default_rng(0).normal(0, 0.02, t.size)
    a, b, tau = fit_saturating(t, truth + noise)
    assert abs(a - 0.3) < 0.05 and abs(a + b - 0.8) < 0.1 and 5 < tau < 20
    grid = np.array([0.0, 24.0, 96.0])
    fit, low, high = bootstrap_band(t, truth + noise, grid)
    assert np.all(low <= fit + 1e-9) and np.all(fit <= high + 1e-9)
    true_grid = saturating(grid, 0.3, 0.5, 10.0)
    assert np.all(np.abs(fit - true_grid) < 0.08)
    # Extrapolating is less certain than interpolating: the band widens past the data.
    assert high[2] - low[2] >= high[1] - low[1] - 1e-9


def test_fit_handles_many_curves_at_once_and_rejects_too_few_points():
    t = np.arange(0, 25, 4.0)
    ys = np.stack([saturating(t, a, 0.4, 8.0) for a in (0.1, 0.2)])
    params = fit_saturating(t, ys)
    assert params.shape == (2, 3)
    np.testing.assert_allclose(params[:, 0], [0.1, 0.2], atol=0.01)  # tau on a grid
    with pytest.raises(ValueError, match="3 points"):
        fit_saturating(t[:2], ys[0, :2])
