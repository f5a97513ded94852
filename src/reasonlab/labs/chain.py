"""Lab 1, the reasoning chain lab: step through a chain of thought as RLVR reinforces it.

Controls: the problem (a domain and a difficulty), the checkpoint (how many RL steps the policy
had), and the step within the chain. The view shows the completion token by token up to that
step, each intermediate step checked on its own (process-level feedback: in an addition every
column sum and carry can be recomputed), and, once the chain is complete, the verifier's verdict
on the final answer (the outcome reward, the only thing RLVR trains on). Beside it: the same
problem's verdict at every checkpoint, and "revise until verified", fresh attempts of the chosen
checkpoint until the verifier signs off.

The completions are real: ``python -m reasonlab.build labs/chain`` trains a policy with RLVR from
the zoo's base checkpoint, keeps snapshots at a few steps, decodes each problem greedily at each
snapshot and samples the attempts, and stores text and verdicts in ``data/labs/chain.json``. The
step checks are recomputed from the text by :func:`reasonlab.labs.steps.check_steps`.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from ..world.tokenizer import ANSWER
from . import store
from .static import Control, Panel, build_static, kernel_free, live
from .static import show as show_either
from .steps import Step, check_steps, split_completion  # noqa: F401 (chain.check_steps)

NAME = "chain"
DOMAINS = ("math", "logic", "code")
DIFFICULTIES = (1, 2, 3, 4)
#: Step slider: how many thinking steps to show; the last value shows the whole chain.
STEPS = (0, 1, 2, 3, 4, 5, 6)
MAX_ATTEMPTS = 4


# ----------------------------------------------------------------------------- compute


def controls(static: bool = False) -> list[Control]:
    """The lab's controls; their values are what the artifact recorded."""
    del static  # the static book shows every recorded value
    art = store.load(NAME)
    domains = tuple(dict.fromkeys(p["domain"] for p in art["problems"]))
    levels = tuple(sorted({p["difficulty"] for p in art["problems"]}))
    checkpoints = tuple(art["checkpoints"])
    return [
        Control("domain", "domain", domains, domains[0], "toggle"),
        Control("difficulty", "difficulty", levels, levels[-1], "slider"),
        Control("checkpoint", "RL step of the policy", checkpoints, checkpoints[-1], "slider"),
        Control(
            "step",
            "thinking steps shown",
            STEPS,
            STEPS[-1],
            "slider",
            tuple(str(s) for s in STEPS[:-1]) + ("all",),
        ),
    ]


def _check(params: dict[str, Any]) -> None:
    for c in controls():
        if c.name not in params:
            raise ValueError(f"params is missing {c.name!r}")
        if params[c.name] not in c.values:
            raise ValueError(f"{c.name} must be one of {c.values}, got {params[c.name]!r}")


@functools.lru_cache(maxsize=1024)
def _compute(domain: str, difficulty: int, checkpoint: int, step: int) -> dict[str, Any]:
    art = store.load(NAME)
    pi = next(
        i
        for i, p in enumerate(art["problems"])
        if p["domain"] == domain and p["difficulty"] == difficulty
    )
    problem = art["problems"][pi]
    chain = art["chains"][f"{pi}/{checkpoint}"]
    steps = check_steps(problem, chain["completion"])
    _, answer = split_completion(chain["completion"])
    shown = len(steps) if step == STEPS[-1] else min(step, len(steps))
    history = [
        {
            "checkpoint": c,
            "reward": art["chains"][f"{pi}/{c}"]["reward"],
            "num_steps": len(split_completion(art["chains"][f"{pi}/{c}"]["completion"])[0]),
        }
        for c in art["checkpoints"]
    ]
    attempts = art["revisions"][f"{pi}/{checkpoint}"]
    return {
        "domain": domain,
        "difficulty": difficulty,
        "checkpoint": checkpoint,
        "step": step,
        "problem": problem,
        "completion": chain["completion"],
        "steps": steps,
        "shown": shown,
        "complete": shown == len(steps),
        "answer": answer,
        "reward": chain["reward"],
        "reason": chain["reason"],
        "history": history,
        "attempts": [
            a | {"steps_ok": [s.ok for s in check_steps(problem, a["completion"])]}
            for a in attempts
        ],
    }


def compute(params: dict[str, Any]) -> dict[str, Any]:
    """The chosen problem's chain at the chosen checkpoint, checked step by step.

    Returns:
        ``problem``, ``completion``, ``steps`` (list of :class:`Step`), ``shown`` (how many are
        visible), ``complete``, the final ``answer``, ``reward`` and ``reason`` (the verifier's),
        ``history`` (the verdict at every checkpoint) and ``attempts`` (revise until verified).
    """
    _check(params)
    return _compute(params["domain"], params["difficulty"], params["checkpoint"], params["step"])


# ----------------------------------------------------------------------------- render

#: CSS of the chain view, shipped once per lab (hundreds of frames share it by class name).
CSS = """<style>
.rl-chain{line-height:1.9}
.rl-chain .tk{display:inline-block;border:1px solid #d0d7de;border-radius:3px;padding:0 2px;
 margin:1px;font-family:monospace;background:#f6f8fa;white-space:pre}
.rl-chain .pr{background:#fff8c5}
.rl-chain .ok{color:#1a7f37}.rl-chain .bad{color:#cf222e}.rl-chain .na,.rl-chain .off{color:#6e7781}
.rl-chain td.now{font-weight:bold;border-bottom:2px solid crimson}.rl-chain td{padding:0 .6em}
</style>"""
_MARK = {True: ("✓", "ok"), False: ("✗", "bad"), None: ("·", "na")}


def _tokens(text: str, cls: str = "tk") -> str:
    """Text split into the tokenizer's tokens (markers are one token), each in a small box."""
    parts = re.split(r"(<think>|</think>|<check>|<wait>|#### )", text)
    toks = [t for p in parts if p for t in ([p] if p.startswith(("<", "####")) else list(p))]
    return "".join(f"<span class='{cls}'>{html.escape(t)}</span>" for t in toks)


def steps_status(data: dict[str, Any]) -> str:
    """What the "thinking steps shown" slider does for this chain, for every slider position.

    A chain can have fewer thinking steps than the slider has positions, or none at all (the
    policy answers directly). The line names the slider's position and what it reveals, so a
    move of the slider always changes the view and never looks dead.
    """
    n, step = len(data["steps"]), data["step"]
    at = "all" if step == STEPS[-1] else str(step)
    if n == 0:
        return (
            f"thinking steps shown: {at}. This chain has no thinking steps (the policy answers "
            "directly), so the slider has nothing to reveal here: try another checkpoint or "
            "difficulty."
        )
    if step == STEPS[-1]:
        return f"thinking steps shown: all {n}."
    if step > n:
        return f"thinking steps shown: {step}, but this chain has only {n}: all {n} are shown."
    return f"thinking steps shown: {step} of {n}."


def render_chain(data: dict[str, Any]) -> str:
    """The chain up to the chosen step, each step with its check, and the final verdict."""
    p = data["problem"]
    rows = [
        f"<div><b>{html.escape(p['domain'])}, difficulty {p['difficulty']}</b> · policy after "
        f"{data['checkpoint']} RL steps · prompt {_tokens(p['prompt'], 'tk pr')}</div>"
    ]
    rows.append(f"<div class='off'>{html.escape(steps_status(data))}</div>")
    for i, s in enumerate(data["steps"]):
        if i >= data["shown"]:
            rows.append(f"<div class='off'>step {i + 1}: …</div>")
            continue
        mark, cls = _MARK[s.ok]
        rows.append(
            f"<div>step {i + 1}: {_tokens(s.text)} "
            f"<span class='{cls}'><b>{mark}</b> {html.escape(s.note)}</span></div>"
        )
    if data["complete"]:
        verdict = "verified" if data["reward"] >= 1 else "rejected"
        cls = _MARK[data["reward"] >= 1][1]
        rows.append(
            f"<div>answer {_tokens(ANSWER + data['answer'])} → "
            f"<b class='{cls}'>{verdict}, reward {data['reward']:g}</b> "
            f"({html.escape(data['reason'])}; gold {html.escape(p['answer'])})</div>"
        )
    else:
        rows.append("<div class='off'>answer: not reached yet (move the step slider)</div>")
    return "<div class='rl-chain'>" + "".join(rows) + "</div>"


def render_history(data: dict[str, Any]) -> str:
    """The same problem at every checkpoint: verdict and number of steps; the chosen one bold."""
    cells = []
    for h in data["history"]:
        mark, cls = _MARK[h["reward"] >= 1]
        now = " class='now'" if h["checkpoint"] == data["checkpoint"] else ""
        cells.append(
            f"<td{now}>step {h['checkpoint']}: "
            f"<span class='{cls}'>{mark}</span> ({h['num_steps']} steps)</td>"
        )
    return (
        "<div class='rl-chain'>greedy answer of each checkpoint to this problem:"
        f"<table><tr>{''.join(cells)}</tr></table></div>"
    )


def render_attempts(data: dict[str, Any]) -> str:
    """Revise until verified: fresh samples of the chosen checkpoint until one is accepted."""
    rows = []
    for i, a in enumerate(data["attempts"]):
        ok = a["reward"] >= 1
        mark, cls = _MARK[ok]
        bad = sum(1 for s in a["steps_ok"] if s is False)
        rows.append(
            f"<div>attempt {i + 1}: <code>{html.escape(a['completion'])}</code> "
            f"<b class='{cls}'>{mark}</b> "
            f"({len(a['steps_ok'])} steps, {bad} wrong)</div>"
        )
    if data["attempts"] and data["attempts"][-1]["reward"] >= 1:
        rows.append(f"<div>→ verified after {len(data['attempts'])} attempt(s)</div>")
    else:
        rows.append(f"<div>→ not verified within {MAX_ATTEMPTS} attempts</div>")
    head = "<div><b>Revise until verified</b> (temperature 1):</div>"
    return "<div class='rl-chain'>" + head + "".join(rows) + "</div>"


def render(data: dict[str, Any]) -> str:
    """The whole view as HTML (with its CSS)."""
    return CSS + render_chain(data) + render_history(data) + render_attempts(data)


# ----------------------------------------------------------------------------- widgets


def panels() -> list:
    """What the lab shows, live or static: the chain, the checkpoints' verdicts, the attempts."""
    problem = ("domain", "difficulty")
    return [
        Panel(lambda p: render_chain(compute(p)), (*problem, "checkpoint", "step")),
        Panel(lambda p: render_history(compute(p)), (*problem, "checkpoint")),
        Panel(lambda p: render_attempts(compute(p)), (*problem, "checkpoint")),
    ]


def widget() -> Any:
    """The live lab (needs a kernel): every move redraws the one output area."""
    return live(controls(), panels(), head=CSS)


def static() -> Any:
    """The same lab for the book: every frame precomputed, picked in the browser."""
    return kernel_free(
        lambda: build_static(controls(static=True), panels(), head=CSS),
        widget,
        "reasoning chain lab",
    )


def show() -> Any:
    """The one cell of the lab's notebook: kernel-free when the project's executor runs it
    (``REASONLAB_STATIC_WIDGETS=1``: stored outputs, the book), live in any other kernel."""
    return show_either(static, widget)


# ----------------------------------------------------------------------------- build


#: The RLVR run whose snapshots the lab shows (GRPO on every domain the base was taught).
RUN = {
    "checkpoints": (0, 10, 20, 40),
    "prompts_per_step": 16,
    "num_samples": 8,
    "baseline": "group_std",
    "train_problems": 2000,
    "seed": 0,
}


def _snapshots(domains: tuple[str, ...], checkpoints: tuple[int, ...]) -> dict[int, Any]:
    """Train from the zoo's base policy; copies of the policy at each checkpoint step."""
    from ..core.utils import set_seed
    from ..shipped import zoo
    from ..training.rl import RLConfig, train_rlvr
    from ..world import tasks

    r = RUN
    problems = [
        p
        for d in domains
        for p in tasks.make(d, r["train_problems"] // len(domains), seed=r["seed"], split="train")
    ]
    set_seed(r["seed"])
    policy = zoo.load("base")
    snaps = {0: policy.clone()}
    if max(checkpoints) == 0:
        return snaps
    cfg = RLConfig(
        steps=max(checkpoints),
        prompts_per_step=r["prompts_per_step"],
        num_samples=r["num_samples"],
        baseline=r["baseline"],
        eval_every=max(checkpoints),
        eval_size=8,
        seed=r["seed"],
    )

    def keep(row: dict) -> None:
        # train_rlvr updates ``policy`` in place, so at this row it holds that step's weights.
        if row["step"] in checkpoints and row["step"] not in snaps:
            snaps[row["step"]] = policy.clone()

    train_rlvr(policy, problems, cfg, callback=keep, progress=False)
    return snaps


def build(*, quick: bool = False) -> dict[str, Any]:
    """Sample the chains of the artifact from real snapshots of an RLVR run.

    For each (domain, difficulty) one held-out problem (seed 0, no picking); for each snapshot
    its greedy chain and verdict, and up to ``MAX_ATTEMPTS`` fresh samples (temperature 1,
    seed ``seed + attempt``) until the verifier accepts one.

    Args:
        quick: only the base policy's snapshot (step 0), no training: a cheap slice that
            must equal the artifact's step-0 entries.
    """
    from ..shipped import zoo
    from ..world import tasks

    seed = RUN["seed"]
    domains = tuple(d for d in DOMAINS if d in zoo.recipe("base").config["sft"]["domains"])
    checkpoints = (0,) if quick else RUN["checkpoints"]
    difficulties = DIFFICULTIES
    problems = [
        tasks.make(d, 1, difficulty=lvl, seed=seed, split="test")[0]
        for d in domains
        for lvl in difficulties
    ]
    snaps = _snapshots(domains, checkpoints)
    chains, revisions = {}, {}
    for c in checkpoints:
        policy = snaps[c]
        out = policy.sample([p.prompt for p in problems], temperature=0.0, seed=seed)
        verdicts = tasks.verify_batch(problems, out.completions)
        for i, (text, v) in enumerate(zip(out.completions, verdicts, strict=True)):
            chains[f"{i}/{c}"] = {"completion": text, "reward": float(v.reward), "reason": v.reason}
            revisions[f"{i}/{c}"] = []
        todo = list(range(len(problems)))
        for a in range(MAX_ATTEMPTS):
            if not todo:
                break
            out = policy.sample([problems[i].prompt for i in todo], temperature=1.0, seed=seed + a)
            verdicts = tasks.verify_batch([problems[i] for i in todo], out.completions)
            for i, text, v in zip(todo, out.completions, verdicts, strict=True):
                revisions[f"{i}/{c}"].append({"completion": text, "reward": float(v.reward)})
            todo = [i for i, v in zip(todo, verdicts, strict=True) if v.reward < 1]
    return {
        "run": {k: list(v) if isinstance(v, tuple) else v for k, v in RUN.items()},
        "checkpoints": list(checkpoints),
        "problems": [
            {
                "domain": p.domain,
                "difficulty": p.difficulty,
                "prompt": p.prompt,
                "answer": p.answer,
                "operands": [str(o) for o in p.operands],
            }
            for p in problems
        ],
        "chains": chains,
        "revisions": revisions,
    }
