"""Foundations: seeding, metric names, intervals, result tables, the artifact store."""
