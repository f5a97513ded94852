"""Lab 1, the reasoning chain lab: step through a chain of thought as RLVR reinforces it.

Controls: the problem (a domain and a difficulty), the checkpoint (how many RL steps the policy
had), and the step within the chain. The view shows the completion token by token up to that
step, each intermediate step checked on its own (process-level feedback: in an addition every
column sum and carry can be recomputed), and, once the chain is complete, the verifier's verdict
on the final answer (the outcome reward, the only thing RLVR trains on). Beside it: the same
problem's verdict at every checkpoint, and "revise until verified", fresh attempts of the chosen
checkpoint until the verifier signs off.

The completions are real: ``python -m reasonlab.labs build chain`` trains a policy with RLVR from
the zoo's base checkpoint, keeps snapshots at a few steps, decodes each problem greedily at each
snapshot and samples the attempts, and stores text and verdicts in ``data/labs/chain.json``. The
step checks are recomputed here, from the text, by :func:`check_steps`.
"""

from __future__ import annotations

import ast
import functools
import html
import operator
import re
from dataclasses import dataclass
from typing import Any

from ..tokenizer import ANSWER, CHECK, END_THINK, THINK, WAIT
from . import store
from .static import Control, Panel, build_static, kernel_free, live
from .static import show as show_either

NAME = "chain"
DOMAINS = ("math", "logic", "code")
DIFFICULTIES = (1, 2, 3, 4)
#: Step slider: how many thinking steps to show; the last value shows the whole chain.
STEPS = (0, 1, 2, 3, 4, 5, 6)
MAX_ATTEMPTS = 4


# ----------------------------------------------------------------------------- step checks


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _arith(text: str) -> float | None:
    """Value of a small arithmetic expression (numbers, + - * /, brackets); None if not one."""
    if not text or len(text) > 40 or not re.fullmatch(r"[0-9.+\-*/() ]+", text):
        return None
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError("not arithmetic")

    try:
        return float(ev(tree))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


@dataclass(frozen=True)
class Step:
    """One thinking step and what checking it found.

    Attributes:
        text: the step as written (markers included).
        ok: True (the step checks out), False (it is wrong), None (nothing to check).
        note: why, in a few words.
    """

    text: str
    ok: bool | None
    note: str


def _aligned_ok(claim: str, operands: list) -> tuple[bool | None, str]:
    """``8.240|8.920``: the two decimals rewritten with as many places each, values unchanged."""
    left, _, right = claim.partition("|")
    try:
        same = [float(left), float(right)] == [float(o) for o in operands[:2]]
    except (ValueError, TypeError):
        return False, "not two numbers"
    places = [len(x.partition(".")[2]) for x in (left, right)]
    if not same:
        return False, "rewrites change the numbers"
    if places[0] != places[1]:
        return False, "places not aligned"
    return True, f"aligned to {places[0]} places"


def _claim_ok(claim: str) -> tuple[bool | None, str]:
    """Check one claim ``e1=e2[=e3]``, ``x<y`` or ``x>y`` by recomputing it."""
    claim = re.sub(r"^[a-z]=", "", claim.strip())  # "a=(1--1)/(7-5)=1": drop the name
    for sym, op in (("<", operator.lt), (">", operator.gt)):
        if sym in claim:
            left, _, right = claim.partition(sym)
            a, b = _arith(left), _arith(right)
            if a is None or b is None:
                return None, "not a comparison of numbers"
            return (True, "comparison holds") if op(a, b) else (False, f"{a:g}{sym}{b:g} is false")
    if "=" not in claim:
        return None, "nothing to check"
    values = [_arith(part) for part in claim.split("=")]
    if any(v is None for v in values):
        return None, "not arithmetic"
    if all(abs(v - values[0]) < 1e-9 for v in values):
        return True, "recomputed: right"
    return False, f"recomputed: {values[0]:g}, not {values[-1]:g}"


def _column_ok(step: str, column: int, operands: list, carry: int) -> tuple[bool, str, int]:
    """For addition: are the digits those of column ``column`` and the carry the last one's?

    Each step is judged given the steps before it *as written*: the carry it must use is the one
    the previous written sum implies, so one slip is flagged once, where it happens.

    Returns:
        (ok, note, the carry the next step must use).
    """
    m = re.match(r"^(\d)\+(\d)(?:\+(\d))?=(\d+)$", step)
    if not m:
        return False, "not a column sum", carry
    x, y, c, s = int(m[1]), int(m[2]), int(m[3] or 0), int(m[4])
    digits = [str(op)[::-1] for op in operands]
    want = [int(d[column]) if column < len(d) else 0 for d in digits]
    if sorted((x, y)) != sorted(want):
        return False, f"column {column + 1} has digits {want[0]} and {want[1]}", s // 10
    if c != carry:
        return False, f"carry should be {carry}", s // 10
    if s != x + y + c:
        return False, f"{x}+{y}+{c} is {x + y + c}, not {s}", s // 10
    return True, f"column {column + 1} right, carry {s // 10}", s // 10


def split_completion(completion: str) -> tuple[list[str], str]:
    """(thinking steps, the answer text after ``#### ``, or "") of a completion."""
    think = ""
    if THINK in completion:
        think = completion.split(THINK, 1)[1]
        think = think.split(END_THINK, 1)[0] if END_THINK in think else think.split(ANSWER, 1)[0]
    answer = (
        completion.rsplit(ANSWER, 1)[1].split("\n", 1)[0].strip() if ANSWER in completion else ""
    )
    steps = [s for s in think.split(",") if s] if think else []
    return steps, answer


def check_steps(problem: dict[str, Any], completion: str) -> list[Step]:
    """Process-level feedback: check every thinking step of ``completion`` on its own.

    Any arithmetic claim is recomputed (``a=(1--1)/(7-5)=1``, ``4+7+1=12``, ``2<9``). For an
    addition each step must also add the right column's digits with the previous carry. A
    ``<check>`` is a second claim to recompute; after a ``<wait>`` the revised step counts.

    Args:
        problem: a dict with ``domain`` and ``operands`` (the two numbers, for math).
        completion: the generated text (never raises on it).
    """
    steps, _ = split_completion(completion)
    out, carry = [], 0
    for i, raw in enumerate(steps):
        text = raw.split(WAIT)[-1]  # a revision replaces what came before it
        claim, _, check = text.partition(CHECK)
        if "|" in claim and problem.get("operands"):
            ok, note = _aligned_ok(claim, problem["operands"])
        else:
            ok, note = _claim_ok(claim)
        if problem["domain"] == "math" and problem.get("operands"):
            col_ok, col_note, carry = _column_ok(claim, i, problem["operands"], carry)
            if ok is not False:
                ok, note = col_ok, col_note
        if check and ok is not False:
            c_ok, c_note = _claim_ok(check)
            if c_ok is False:
                ok, note = False, f"its own check fails ({c_note})"
            elif c_ok:
                note += "; self-check agrees"
        if WAIT in raw:
            note = "revised after a check: " + note
        out.append(Step(raw, ok, note))
    return out


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
    from reasonlab import tasks, zoo
    from reasonlab.rl import RLConfig, train_rlvr
    from reasonlab.utils import set_seed

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
    from reasonlab import tasks, zoo

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
