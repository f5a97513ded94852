"""Presentation: the figures, drawn from histories and tables."""
