"""Measurement: evaluation, test-time-compute estimators, policy-driven sweeps."""
