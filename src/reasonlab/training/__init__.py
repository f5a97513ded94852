"""Training: losses, what is rewarded, per-token credit, the RL loop, SFT, STaR."""
