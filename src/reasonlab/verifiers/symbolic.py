"""Symbolic equivalence behind a hard time bound: LaTeX -> checked Python AST -> sympy worker.

How the time bound holds (no thread can stop sympy once it starts computing ``9**9**9**9``):

1. Refuse before sympy (:mod:`reasonlab.verifiers.latex_python`): answers longer than
   ``MAX_ANSWER_CHARS``, more than ``MAX_NODES`` AST nodes, nesting deeper than ``MAX_DEPTH``,
   any node outside a small whitelist, and any power or factorial whose size is estimated (in
   floating point, bottom-up) to be huge: a numeric power with more than ``MAX_POWER_DIGITS``
   digits, a symbolic base raised above ``MAX_SYMBOLIC_EXP``.
2. Then sympy runs in a separate worker process (:mod:`reasonlab.verifiers.sympy_worker`); the
   caller waits at most ``timeout`` seconds for the reply, and on overrun kills the worker with
   SIGKILL and answers "timeout". The next call starts a fresh worker (sympy import, about 1 s,
   paid once per process and not counted against ``timeout``).

Nothing is ever passed to ``eval``; the worker rebuilds expressions from the AST node by node.

How equality is decided (:func:`reasonlab.verifiers.sympy_worker.equal`): structurally identical
after sympy's automatic canonicalisation; exactly, for two numbers (big integers and fractions get
no tolerance); otherwise by evaluating the difference at four random rational points with
alternating signs, to 30 digits, with relative tolerance 1e-9 (float noise only: ``1.414`` is not
``\\sqrt{2}``); ``expand``/``simplify`` only when evaluation fails. Tuples and intervals compare
item by item, sets and bare lists ignore order, equations compare ``lhs - rhs`` up to sign.
Matrices compare cell by cell, a value named ``x_1 = ...`` as its value against an
unnamed one. Unsupported here: unions of intervals, ``\\pm``, inequalities. Whatever this refuses
(except for size) or finds different is also asked of math-verify's parser and grader inside the
same worker and under the same deadline (see :mod:`reasonlab.verifiers.sympy_worker`): a "yes"
from either is equality.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .latex_python import RefusedError
from .structures import bare, parse_structure

STARTUP_TIMEOUT = 60.0  # seconds to import sympy in a fresh worker on a busy machine


# ----------------------------------------------------------------------------- the worker


class _Worker:
    """One sympy process per caller process, restarted after a kill."""

    warned = False  # the "second opinion is off" line is printed once per process

    def __init__(self) -> None:
        self.second_opinion = True
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid_owner = -1
        self.buffer = b""
        self.ready = False

    def _spawn(self) -> None:
        source = Path(__file__).with_name("sympy_worker.py").read_text()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", source],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in a notebook should not hit the worker mid-reply
        )
        self.pid_owner = os.getpid()
        self.buffer = b""
        self.ready = False

    def _ensure_ready(self) -> float:
        """Start the worker if needed and wait until it has imported sympy; return the wait."""
        t0 = time.monotonic()
        if self.proc is None or self.pid_owner != os.getpid() or self.proc.poll() is not None:
            self.proc = None  # a forked child must not share its parent's pipes
            self._spawn()
        if not self.ready:
            hello = self._readline(STARTUP_TIMEOUT)
            if hello is None:
                self.kill()
                raise RuntimeError("the sympy worker did not start")
            self.ready = True
            self.second_opinion = bool(hello.get("math_verify", False))
            if not self.second_opinion and not _Worker.warned:
                _Worker.warned = True
                warnings.warn(
                    "reasonlab verify_math: math-verify's LaTeX parser cannot be used here "
                    f"({hello.get('why_not') or 'not installed'}); its second opinion is off, "
                    "our exact reader and sympy still decide",
                    RuntimeWarning,
                    stacklevel=2,
                )
        return time.monotonic() - t0

    def _readline(self, timeout: float, deadline: float | None = None) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout if deadline is None else deadline
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def kill(self) -> None:
        if self.proc is not None:
            if self.pid_owner == os.getpid():
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.ready = False

    def compare(
        self, a: dict | None, b: dict | None, timeout: float, latex: tuple[str, str] | None = None
    ) -> tuple[bool | None, str, float]:
        """(equal or None, how, seconds spent waiting for a fresh worker to start)."""
        with self.lock:
            try:
                startup = self._ensure_ready()
            except (RuntimeError, OSError) as err:  # never raise on model output
                return None, f"sympy worker unavailable: {err}", 0.0
            assert self.proc is not None and self.proc.stdin is not None
            # The bound runs from before the request is sent, and a reply read after it counts as
            # late: a caller descheduled between sending and reading (a busy machine) gets the
            # same "timeout" as one whose worker was still computing.
            deadline = time.monotonic() + timeout
            try:
                request = {"a": a, "b": b, "latex": list(latex) if latex else None}
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
            except BrokenPipeError:
                self.kill()
                return None, "sympy worker died", startup
            reply = self._readline(timeout, deadline)
            if reply is None:
                self.kill()
                self._spawn()  # start the replacement now, so the next call waits less
                return None, f"timeout after {timeout:g} s", startup
            if time.monotonic() > deadline:  # the worker answered, and is free for the next call
                return None, f"timeout after {timeout:g} s", startup
            if not reply.get("decided", True):
                return None, str(reply["how"]), startup
            return bool(reply["equal"]), str(reply["how"]), startup


_WORKER = _Worker()
atexit.register(_WORKER.kill)


# Refusals that mean "too big to compute" (not "written in a form we do not parse"): these are
# never handed to math-verify either.
_SIZE_REFUSALS = (
    "too large", "too long", "too deep", "too many", "huge", "RecursionError", "MemoryError",
)  # fmt: skip
MAX_LATEX_CHARS = 600  # longer answers are not given to math-verify's parser


def _structure(s: str) -> tuple[dict | None, str | None]:
    try:
        return parse_structure(s), None
    except RefusedError as err:
        return None, f"refused: {err}"
    except (RecursionError, MemoryError, ValueError) as err:
        return None, f"refused: {type(err).__name__}"


VERDICT_CACHE_SIZE = 8192
_VERDICTS: OrderedDict[tuple, tuple[bool, str]] = OrderedDict()
_VERDICTS_LOCK = threading.Lock()


def symbolic_equal(
    gold: str, pred: str, timeout: float, *, latex: tuple[str, str] | None = None
) -> tuple[bool | None, str, float]:
    """:func:`_symbolic_equal`, with its decided verdicts kept (least recently used out first):
    the samples of one prompt share a gold answer and often repeat a wrong one, and a verdict
    the worker found once costs nothing the next time (a timeout is not kept)."""
    key = (gold, pred, latex)
    with _VERDICTS_LOCK:
        hit = _VERDICTS.get(key)
        if hit is not None:
            _VERDICTS.move_to_end(key)
            return hit[0], hit[1] + " (cached)", 0.0
    ok, why, startup = _symbolic_equal(gold, pred, timeout, latex=latex)
    if ok is not None:
        with _VERDICTS_LOCK:
            _VERDICTS[key] = (ok, why)
            if len(_VERDICTS) > VERDICT_CACHE_SIZE:
                _VERDICTS.popitem(last=False)
    return ok, why, startup


def _symbolic_equal(
    gold: str, pred: str, timeout: float, *, latex: tuple[str, str] | None = None
) -> tuple[bool | None, str, float]:
    """Are two normalised answers equal?

    Args:
        gold, pred: normalised answers for our own parser.
        timeout: seconds the caller waits for the worker's verdict.
        latex: the two answers as written (gold, prediction), for math-verify's second opinion
            when ours refuses or says "different"; None for no second opinion.

    Returns:
        (True/False or None when undecided, how it was decided, seconds spent waiting for the
        worker to start: not counted against ``timeout``).
    """
    a, why_a = _structure(gold)
    b, why_b = _structure(pred)
    why = why_a or why_b
    if why and (any(s in why for s in _SIZE_REFUSALS) or latex is None):
        return None, why, 0.0
    if a is not None and b is not None:
        a, b = bare(a, b)  # "x_1 = 2, x_2 = 3" against "2, 3": the values
    if latex is not None and max(len(latex[0]), len(latex[1])) > MAX_LATEX_CHARS:
        if why:
            return None, why, 0.0
        latex = None
    return _WORKER.compare(a, b, timeout, latex)
