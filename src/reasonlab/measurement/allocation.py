"""Compute-optimal allocation of test-time tokens by difficulty, with intervals (pure numpy).

Everything here reads the per-problem tables of :mod:`reasonlab.shipped.testtime` and draws nothing
from a policy. A *strategy* is one way to answer a problem: a thinking budget and a number k of
samples, combined by a majority vote (``family="vote"``, no verifier), by the policy's own
log-prob (``"confidence"``) or by revising until the verifier accepts (``"verifier"``, up to k
attempts, paying only for the attempts made). For each problem and strategy we know the exact
expected accuracy and tokens (subset estimators, no Monte Carlo).

An *allocation* gives each group of problems one strategy. Groups are: all problems together
(uniform), the digit count (oracle difficulty), or bins of the policy's own probe signals
(estimated difficulty: do a couple of probe samples agree, and how confident are they; the
probes' tokens are added to every strategy's cost). For a budget B of average tokens per
problem, :func:`allocate` finds the allocation with the highest mean accuracy whose mean tokens
stay within B, exactly (merging the groups' accuracy-token frontiers).

Honest reporting: allocations are chosen on one half of the problems and scored on the other
(two-fold cross-fitting, so every problem is scored once by an allocation that never saw it),
and intervals are percentile bootstraps over *problems*, stratified by difficulty: problems are
the unit of replication, since the samples of one problem are not independent evidence about
the next problem. The bootstrap holds the fitted allocations fixed, so it covers which test
problems we drew, not which fit problems chose the allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

FAMILIES = ("vote", "confidence", "verifier")
#: Budgets (mean tokens per problem) at which notebook 11 and the benchmark state the gain.
REPORT_BUDGETS = (50.0, 150.0)
BOOTSTRAP = {"num": 2000, "seed": 0, "level": 0.95}


def bootstrap(values, strata=None, *, num=None, seed=None, level=None) -> dict[str, Any]:
    """Mean of ``values`` over problems (axis 0) and a percentile bootstrap interval.

    Args:
        values: (P,) or (P, m) per-problem numbers.
        strata: (P,) labels; problems are resampled within each label (keeping its count).

    Returns:
        ``{"mean", "lo", "hi"}``, floats or lists of m.
    """
    num = num or BOOTSTRAP["num"]
    level = level or BOOTSTRAP["level"]
    rng = np.random.default_rng(BOOTSTRAP["seed"] if seed is None else seed)
    x = np.asarray(values, dtype=np.float64)
    flat = x.ndim == 1
    x = x[:, None] if flat else x
    labels = np.zeros(len(x), dtype=int) if strata is None else np.asarray(strata)
    total = np.zeros((num, x.shape[1]))
    for s in np.unique(labels):
        rows = x[labels == s]
        pick = rng.integers(0, len(rows), size=(num, len(rows)))
        total += rows[pick].sum(axis=1)
    means = total / len(x)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = {"mean": x.mean(axis=0), "lo": lo, "hi": hi}
    return {k: float(v[0]) if flat else v.tolist() for k, v in out.items()}


# ----------------------------------------------------------------------------- strategies


def strategies(
    sweeps: dict, policy: str, family: str = "vote", num_probes: int = 2
) -> dict[str, Any]:
    """Per problem (all difficulties stacked) and strategy: accuracy and tokens.

    Args:
        num_probes: how many of the shipped probe samples the estimated grouping reads (and
            pays for).

    Returns:
        ``acc`` and ``tok`` (P, S), ``digits`` (P,), ``labels`` S strings ``"<budget>, k=<k>"``,
        and the probe signals ``agree``, ``confidence``, ``probe_tokens`` (P,).
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    cfg = sweeps["config"]
    ks = np.array(cfg["ks"], dtype=np.float64)
    accs, toks, digits, labels = [], [], [], []
    for d in cfg["difficulties"]:
        acc_d, tok_d = [], []
        for b in cfg["budgets"]:
            cell = sweeps["cells"][f"{policy}/{d}/{b}"]
            key = {"vote": "majority", "confidence": "confidence", "verifier": "pass"}[family]
            acc_d.append(np.array(cell[key]))
            if family == "verifier":
                tok_d.append(np.array(cell["sequential"]))
            else:
                tok_d.append(np.array(cell["tokens"])[:, None] * ks[None, :])
        accs.append(np.concatenate(acc_d, axis=1))
        toks.append(np.concatenate(tok_d, axis=1))
        digits += [d] * len(accs[-1])
    labels = [f"{b}, k={k}" for b in cfg["budgets"] for k in cfg["ks"]]
    signals = [_signals(sweeps["probes"][f"{policy}/{d}"], num_probes) for d in cfg["difficulties"]]
    return {
        "acc": np.concatenate(accs),
        "tok": np.concatenate(toks),
        "digits": np.array(digits),
        "labels": labels,
        "num_probes": num_probes,
        **{key: np.concatenate([x[key] for x in signals]) for key in signals[0]},
    }


def _signals(probes: dict, m: int) -> dict[str, np.ndarray]:
    """Agreement, mean confidence and summed tokens of the first ``m`` probes per problem."""
    if not 1 <= m <= len(probes["tokens"][0]):
        raise ValueError(f"num_probes must be in 1..{len(probes['tokens'][0])}, got {m}")
    agree = []
    for row in probes["answers"]:
        votes = [a for a in row[:m] if a >= 0]
        agree.append(max(votes.count(a) for a in votes) / m if votes else 0.0)
    return {
        "agree": np.array(agree),
        "confidence": np.array(probes["confidence"], dtype=np.float64)[:, :m].mean(axis=1),
        "probe_tokens": np.array(probes["tokens"], dtype=np.float64)[:, :m].sum(axis=1),
    }


def _front(tok: np.ndarray, acc: np.ndarray, keep: np.ndarray) -> tuple:
    """Points no other point beats on both (fewer tokens, more accuracy), cheapest first."""
    order = np.lexsort((-acc, tok))
    best, idx = -np.inf, []
    for i in order:
        if acc[i] > best + 1e-12:
            best = acc[i]
            idx.append(i)
    idx = np.array(idx, dtype=int)
    return tok[idx], acc[idx], keep[idx]


def allocations(acc: np.ndarray, tok: np.ndarray, groups: np.ndarray) -> tuple:
    """Every allocation no other beats on both mean accuracy and mean tokens (exact).

    Merges the groups one at a time, keeping only the frontier of the partial sums, so the
    work stays small however many groups there are.

    Args:
        acc, tok: (P, S) per problem and strategy.
        groups: (P,) group label per problem (0..G-1).

    Returns:
        (mean tokens (F,), mean accuracy (F,), strategy per group (F, G)), cheapest first.
    """
    total_tok, total_acc = np.zeros(1), np.zeros(1)
    choice = np.zeros((1, 0), dtype=int)
    p = len(groups)
    for g in range(int(groups.max()) + 1):
        rows = groups == g
        if not rows.any():  # no fit problem in the group: nothing to learn, take strategy 0
            choice = np.concatenate([choice, np.zeros((len(choice), 1), dtype=int)], axis=1)
            continue
        g_tok, g_acc, g_idx = _front(
            tok[rows].sum(0) / p, acc[rows].sum(0) / p, np.arange(acc.shape[1])
        )
        t = (total_tok[:, None] + g_tok[None, :]).ravel()
        a = (total_acc[:, None] + g_acc[None, :]).ravel()
        c = np.concatenate(
            [np.repeat(choice, len(g_idx), axis=0), np.tile(g_idx, len(choice))[:, None]], axis=1
        )
        total_tok, total_acc, choice = _front(t, a, c)
    return total_tok, total_acc, choice


def mix(tok: np.ndarray, acc: np.ndarray, budget: float) -> list[tuple[float, int]] | None:
    """Spend ``budget`` exactly: the best mixture of two frontier points (upper concave hull).

    Answering a random share w of the problems one way and the rest another (independently of
    anything about them) costs and earns the weighted means, so the hull is reachable.
    Returns [(weight, index)] (weights sum to 1), or None if even the cheapest point costs more.
    Past the dearest point, that point alone (it spends less than the budget).
    """
    if tok[0] > budget + 1e-9:
        return None
    hull: list[int] = []
    for i in range(len(tok)):  # monotone chain, upper hull of a front sorted by tokens
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (acc[b] - acc[a]) * (tok[i] - tok[a]) <= (acc[i] - acc[a]) * (tok[b] - tok[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    below = [i for i in hull if tok[i] <= budget + 1e-9][-1]
    above = [i for i in hull if tok[i] > budget + 1e-9]
    if not above:
        return [(1.0, below)]
    j = above[0]
    w = (tok[j] - budget) / (tok[j] - tok[below])
    return [(float(w), below), (float(1 - w), j)]


# ----------------------------------------------------------------------------- grouping


def oracle_groups(s: dict, fit: np.ndarray) -> np.ndarray:
    del fit
    return s["digits"] - s["digits"].min()


def uniform_groups(s: dict, fit: np.ndarray) -> np.ndarray:
    del fit
    return np.zeros(len(s["digits"]), dtype=int)


def estimated_groups(s: dict, fit: np.ndarray) -> np.ndarray:
    """Four bins from the probes, thresholds from the fit fold only.

    With two or more probes: did they all agree, and is their mean confidence above the fit
    median? (0: agreed and confident, 1: agreed and unsure, 2: disagreed and confident,
    3: disagreed and unsure.) With one probe: quartiles of its confidence (0: most confident).
    """
    conf = s["confidence"]
    if s["num_probes"] == 1:
        cuts = np.quantile(conf[fit], [0.25, 0.5, 0.75])
        return 3 - np.searchsorted(cuts, conf, side="right")
    unsure = conf < np.median(conf[fit])
    return 2 * (s["agree"] < 1.0).astype(int) + unsure.astype(int)


GROUPINGS = {"uniform": uniform_groups, "oracle": oracle_groups, "estimated": estimated_groups}


def folds(digits: np.ndarray, seed: int = 0) -> np.ndarray:
    """Two folds, half of each difficulty in each (seeded)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(len(digits), dtype=int)
    for d in np.unique(digits):
        rows = np.flatnonzero(digits == d)
        out[rng.permutation(rows)[: len(rows) // 2]] = 1
    return out


def crossfit(s: dict, grouping: str, budget: float, seed: int = 0) -> dict[str, np.ndarray]:
    """Out-of-fold accuracy and tokens per problem under the allocation fit on the other fold.

    The allocation is the best mixture of at most two frontier allocations of the fit fold
    whose mean tokens equal ``budget`` there (see :func:`mix`), so every grouping spends the
    same on average. Estimated difficulty pays for its probes: their tokens join every
    strategy's cost. Returns ``acc``, ``tok`` (P,), NaN where no allocation fits the budget.
    """
    tok = s["tok"] + (s["probe_tokens"][:, None] if grouping == "estimated" else 0.0)
    fold = folds(s["digits"], seed)
    acc_out, tok_out = np.full(len(fold), np.nan), np.full(len(fold), np.nan)
    for f in (0, 1):
        fit, test = fold == f, fold != f
        groups = GROUPINGS[grouping](s, fit)
        f_tok, f_acc, choice = allocations(s["acc"][fit], tok[fit], groups[fit])
        weights = mix(f_tok, f_acc, budget)
        if weights is None:
            continue
        rows = np.flatnonzero(test)
        acc_out[rows], tok_out[rows] = 0.0, 0.0
        for w, i in weights:
            pick = choice[i][groups[test]]
            acc_out[rows] += w * s["acc"][rows, pick]
            tok_out[rows] += w * tok[rows, pick]
    return {"acc": acc_out, "tok": tok_out}


def compare(s: dict, budgets: Sequence[float], seed: int = 0) -> list[dict[str, Any]]:
    """Uniform, oracle and estimated allocation at each budget: cross-fit accuracy, tokens,
    gains over uniform, all with stratified bootstrap intervals (one row per budget)."""
    rows = []
    for budget in budgets:
        row: dict[str, Any] = {"budget": float(budget)}
        runs = {g: crossfit(s, g, budget, seed) for g in GROUPINGS}
        for g, run in runs.items():
            if np.isnan(run["acc"]).any():
                row[g] = None
                continue
            row[g] = {
                "acc": bootstrap(run["acc"], s["digits"]),
                "tokens": float(run["tok"].mean()),
            }
            if g != "uniform" and row["uniform"] is not None:
                row[g]["gain"] = bootstrap(run["acc"] - runs["uniform"]["acc"], s["digits"])
        rows.append(row)
    return rows


def chosen(s: dict, grouping: str, budget: float) -> list[tuple[float, list[str]]] | None:
    """The allocation fit on all problems at ``budget``: [(share, strategy per group)]."""
    tok = s["tok"] + (s["probe_tokens"][:, None] if grouping == "estimated" else 0.0)
    everything = np.ones(len(s["digits"]), dtype=bool)
    f_tok, f_acc, choice = allocations(s["acc"], tok, GROUPINGS[grouping](s, everything))
    weights = mix(f_tok, f_acc, budget)
    if weights is None:
        return None
    return [(w, [s["labels"][j] for j in choice[i]]) for w, i in weights]


def budget_grid(s: dict, num: int = 12) -> list[float]:
    """Budgets from the cheapest strategy's mean tokens to the dearest, evenly in log."""
    mean_tok = s["tok"].mean(axis=0)
    return np.round(np.geomspace(mean_tok.min(), mean_tok.max(), num), 1).tolist()
