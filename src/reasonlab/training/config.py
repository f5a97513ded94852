"""The RL loop's hyperparameters: :class:`RLConfig`, validated when made, hashed by its recipe."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from . import credit
from . import rewards as training_rewards
from .losses import BASELINES

OBJECTIVES = ("reinforce", "star")
#: ``RLConfig`` fields added after the first shipped runs; ``recipe()`` omits them at their
#: defaults, so the runs of before keep their hashes (and their shipped artifacts).
LATER_FIELDS = (*credit.CREDIT_FIELDS, "reward")


@dataclass(frozen=True)
class RLConfig:
    """Hyperparameters of :func:`reasonlab.training.rl.train_rlvr` (defaults: the book's RL run)."""

    steps: int = 60  #: policy updates (about a minute on a laptop CPU)
    prompts_per_step: int = 32  #: distinct prompts per batch
    num_samples: int = 8  #: samples per prompt (the "group")
    lr: float = 3e-4  #: Adam learning rate of the policy
    baseline: str = "group"  #: none | ema | group | group_std | critic
    ema_decay: float = 0.9  #: running-mean baseline: weight of the old value
    critic_lr: float = 3e-3  #: learning rate of the critic's value head
    kl_coef: float = 0.0  #: weight of the KL penalty to the starting policy (0 = off)
    clip: float | None = None  #: PPO ratio clip epsilon (None = plain policy gradient)
    ppo_epochs: int = 1  #: gradient steps per batch (more than 1 needs ``clip``)
    cost_per_token: float = 0.0  #: reward penalty per generated token
    filter_zero_std: bool = False  #: drop groups whose rewards are all equal (no signal)
    temperature: float = 1.0  #: sampling temperature of the rollouts
    max_new_tokens: int | None = None  #: completion budget (None = the policy's default)
    max_grad_norm: float = 1.0  #: gradient clipping
    objective: str = "reinforce"  #: reinforce | star (cross-entropy on verified successes)
    eval_every: int = 10  #: held-out evaluation every this many updates (and at both ends)
    eval_size: int = 200  #: held-out problems (greedy and one sample each)
    seed: int = 0  #: seeds prompt order, sampling and the critic
    # Credit assignment (reasonlab.training.credit); at their defaults they are left out of
    # recipe().
    algorithm: str = "reinforce"  #: reinforce (the baselines above) | ppo_gae | vineppo | grpo
    loss_agg: str = "seq-sum"  #: token losses: seq-sum | seq-mean (GRPO) | token-mean | dr-grpo
    kl_in: str = "loss"  #: where the KL penalty goes: loss | reward (per token, ppo_gae only)
    kl_estimator: str = "k3"  #: KL estimator in the loss of ppo_gae/vineppo/grpo: k1 | k2 | k3
    gamma: float = 1.0  #: GAE discount per token (ppo_gae)
    lam: float = 0.95  #: GAE lambda: 1 = Monte Carlo, 0 = one-step TD (ppo_gae)
    value_lr: float = 1e-4  #: Adam learning rate of the per-token value model (ppo_gae)
    vine_k: int = 4  #: VinePPO rollouts per step boundary (vineppo)
    #: what is rewarded (reasonlab.training.rewards): verifier | a proxy | a control
    reward: str = "verifier"

    def recipe(self) -> dict:
        """The fields as a dict for recipe hashes, without :data:`LATER_FIELDS` at their defaults
        (a config of before they existed keeps its hash, and its shipped artifacts)."""
        out = asdict(self)
        for f in fields(self):
            if f.name in LATER_FIELDS and out[f.name] == f.default:
                del out[f.name]
        return out

    def __repr__(self) -> str:  # the dataclass repr, without the credit fields at defaults
        fields_ = ", ".join(f"{k}={v!r}" for k, v in self.recipe().items())
        return f"{type(self).__name__}({fields_})"

    def __post_init__(self) -> None:
        credit.check_config(self)
        training_rewards.check(self.reward)
        if self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}; choose one of {BASELINES}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; choose one of {OBJECTIVES}")
        if self.ppo_epochs > 1 and self.clip is None:
            raise ValueError("ppo_epochs > 1 needs clip (unclipped reuse of a batch is off-policy)")
        if self.baseline in ("group", "group_std") and self.num_samples < 2:
            raise ValueError(f"baseline {self.baseline!r} needs num_samples >= 2")
        for name in ("steps", "prompts_per_step", "num_samples", "eval_every", "ppo_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
