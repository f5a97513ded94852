"""The code verifier ("code judge"): run untrusted Python against unit tests, contained.

Process layout, one sandbox per call (``verify_code``) or per batch (``verify_code_batch``)::

    caller (notebook kernel, training loop)
      └─ launcher: throwaway parent, new session, child subreaper   (sandbox_launcher.py)
           └─ harness: python -I -S, rlimits, fresh uid, temp dir, empty env  (sandbox_harness)
                └─ one forked child per candidate, own process group, CPU limit, wall deadline

Threat model. What it contains:

- hangs, sleeps, infinite loops and deep recursion (per-candidate wall deadline + RLIMIT_CPU;
  the candidate's whole process group is SIGKILLed; the batch has its own deadline);
- memory bombs (RLIMIT_AS = ``memory_mb``), huge files (RLIMIT_FSIZE), core dumps (RLIMIT_CORE),
  huge output (stdout/stderr are captured through pipes and truncated);
- exit tricks: ``sys.exit(0)``, ``os._exit(0)``, killing itself or its parent: a pass needs a
  report line that starts with a random token, written by the harness after the tests ran;
  exiting early leaves no report, so it fails;
- killing the caller: the candidate runs under a throwaway parent in its own session, and, when
  the judge runs as root (as here, and on Colab), under a fresh unprivileged user id, so it can
  signal only its own processes;
- fork bombs and daemons: ``RLIMIT_NPROC`` does not bind root, so as root we *drop to a fresh
  uid*, where it binds (``MAX_PROCS``); after every run every process of that uid is killed
  (``setsid`` daemons included) and the throwaway parent, a child subreaper, reaps the orphans.
  Without root (no uid switch) RLIMIT_NPROC counts all of the user's processes, and clean-up
  kills the launcher's descendants: a daemon that escapes by double-fork before the subreaper
  sees it can survive;
- files: the candidate's working directory is a fresh temp dir (removed afterwards); as another
  uid it cannot write the repository or ``$HOME``; files it leaves in world-writable ``/tmp``,
  ``/var/tmp`` or ``/dev/shm`` are removed by owner uid after the run;
- reading secrets from the environment: the environment is replaced by a minimal one, and as
  another uid the candidate cannot read ``/proc/<pid>/environ`` of the caller (without root, it
  runs as the caller's user and can);
- always-equal objects and patched builtins/comparisons: for ``assert f(x) == <literal>`` tests
  only ``f(x)`` is computed in the sandbox; its result is encoded with exact type checks (an
  ``int`` subclass with a rigged ``__eq__`` is refused) and compared with the literal *in the
  verifier's process*; the expected value never enters the sandbox. Trace functions are reset
  before each test.

What it does not contain (would need a container, seccomp or a VM):

- a candidate that introspects the harness (``gc``, frames) can find the token and forge the
  report of ``stmt`` tests (general asserts run in its process); value tests it can only pass by
  computing the right values; ctypes/memory corruption of the interpreter likewise;
- network access, reading world-readable files, CPU/memory contention with other processes,
  kernel exploits; there is no filesystem or network namespace here.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from .result import VerifierResult
from .sandbox_launcher import sweep
from .sandbox_tests import compile_tests, decode, extract_code

MAX_CODE_CHARS = 100_000
MAX_PROCS = 32  # processes the sandbox uid may own at once (forks per batch are sequential)
OUTPUT_LIMIT = 4096  # bytes of each candidate's stdout+stderr kept for feedback
FILE_LIMIT_MB = 16
UID_RANGE = (2_000_000, 3_000_000)  # fresh sandbox uids (no passwd entry needed)
_SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


@lru_cache(maxsize=1)
def _source(name: str) -> str:
    return Path(__file__).with_name(name).read_text()


def _world_executable(path: str) -> bool:
    """Can a user with no privileges run ``path`` (every directory on the way searchable)?"""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in real.parents)
    except OSError:
        return False


@lru_cache(maxsize=1)
def _sandbox_python() -> tuple[str, bool]:
    """(interpreter, drop_uid): a python an unprivileged uid can run, when we are root."""
    if os.geteuid() != 0:
        return sys.executable, False
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        if candidate and os.path.exists(candidate) and _world_executable(candidate):
            return candidate, True
    return sys.executable, False  # root but no world-executable python: no uid switch


# ----------------------------------------------------------------------------- running


def _cleanup(uid: int | None, workdir: str) -> None:
    if uid is not None:
        sweep(uid, os.getpid(), reap_children=False)  # again: the launcher may have been killed
        for root in _SHARED_TMP:
            try:
                entries = list(os.scandir(root))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid != uid:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                except OSError:
                    pass
    shutil.rmtree(workdir, ignore_errors=True)


def _run_sandbox(
    items: list[dict[str, Any]], timeout: float, memory_mb: int
) -> tuple[list[dict[str, Any]] | None, str, int | None]:
    """Run every item in one sandbox: (per-item replies or None, failure reason, sandbox uid)."""
    python, drop_uid = _sandbox_python()
    uid = secrets.randbelow(UID_RANGE[1] - UID_RANGE[0]) + UID_RANGE[0] if drop_uid else None
    token = secrets.token_hex(16)
    workdir = tempfile.mkdtemp(prefix="reasonlab-judge-")
    if uid is not None:
        os.chown(workdir, uid, uid)
    os.chmod(workdir, 0o700)
    per_item = timeout + 0.5  # fork, report and clean-up per candidate
    deadline = 2.0 + per_item * len(items)
    nproc = MAX_PROCS
    if uid is None and os.geteuid() != 0:
        nproc += sum(1 for p in os.listdir("/proc") if p.isdigit())  # the limit is per user
    limits = {
        "RLIMIT_AS": memory_mb * 2**20,
        "RLIMIT_CPU": math.ceil(deadline) + 1,
        "RLIMIT_FSIZE": FILE_LIMIT_MB * 2**20,
        "RLIMIT_NPROC": nproc,
        "RLIMIT_CORE": 0,
        "RLIMIT_NOFILE": 256,
    }
    job = {"token": token, "timeout": timeout, "output_limit": OUTPUT_LIMIT, "items": items}
    config = {
        "python": python,
        "harness": _source("sandbox_harness.py"),
        "job": job,
        "uid": uid,
        "limits": limits,
        "workdir": workdir,
        "env": {"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"},
        "deadline": deadline,
        "stdout_limit": 64 * 2**20,
    }
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _source("sandbox_launcher.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # the candidate's kill(0) / killpg can never reach us
            close_fds=True,
        )
        try:
            out, err = proc.communicate(
                json.dumps(config).encode("utf-8", "surrogatepass"), timeout=deadline + 3.0
            )
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            return None, "sandbox launcher overran its deadline", uid
        finally:
            try:
                os.killpg(proc.pid, 9)  # anything still in the launcher's group
            except OSError:
                pass
    finally:
        _cleanup(uid, workdir)
    try:
        replies = json.loads(out)["replies"]
    except (ValueError, KeyError, TypeError):
        return None, "sandbox produced no report (the launcher was killed)", uid
    replies += [{"status": "timeout"}] * (len(items) - len(replies))  # batch deadline hit
    return replies, "", uid


def _verdict(steps: list[dict[str, Any]], reply: dict[str, Any], timeout: float) -> VerifierResult:
    meta: dict[str, Any] = {"seconds": reply.get("seconds"), "output": reply.get("output", "")}
    status = reply["status"]
    if status == "timeout":
        return VerifierResult(0.0, f"timeout after {timeout:g} s", None, meta)
    if status != "reported":
        return VerifierResult(0.0, f"no test report: {status}", None, meta)
    report = reply["report"]
    results = report["steps"]
    if len(results) != len(steps):
        return VerifierResult(0.0, "incomplete test report", None, meta)
    tests: list[dict[str, Any]] = []
    if not report["setup"]["ok"]:
        setup = report["setup"]
        tests.append({"name": "program", "passed": False, "error": setup["error"],
                      "message": setup["message"]})  # fmt: skip
    for step, res in zip(steps, results, strict=True):
        entry: dict[str, Any] = {"name": step["name"], "source": step["source"]}
        if not res["ok"]:
            entry.update(passed=False, error=res["error"], message=res["message"])
        elif step["kind"] == "value":
            try:
                got = decode(res["value"])
                passed = type(got) is not float or not math.isnan(got)
                passed = passed and bool(got == step["expected"])
            except (ValueError, TypeError, IndexError, RecursionError):
                got, passed = None, False
            entry["passed"] = passed
            if not passed:
                message = f"got {got!r:.100}, expected {step['expected']!r:.100}"
                entry.update(error="AssertionError", message=message)
        else:
            entry["passed"] = True
        tests.append(entry)
    meta["tests"] = tests
    graded = [t for t in tests if t["name"] != "setup" or not t["passed"]]
    n_pass = sum(t["passed"] for t in graded)
    if n_pass == len(graded):
        return VerifierResult(1.0, f"{n_pass}/{len(graded)} tests passed", None, meta)
    first = next(t for t in graded if not t["passed"])
    reason = f"{n_pass}/{len(graded)} tests passed: {first['name']} {first['error']}"
    return VerifierResult(0.0, reason, None, meta)


def verify_code_batch(
    codes: list[str],
    tests: list[str | list[str]],
    *,
    timeout: float = 2.0,
    memory_mb: int = 512,
) -> list[VerifierResult]:
    """Verify many programs in ONE sandbox (each in its own forked, time-limited child).

    Same verdict rules as :func:`verify_code`; much faster per program because the sandbox
    interpreter starts once.

    Args:
        codes: candidate programs (or completions holding a fenced python block); never raises
            on their content.
        tests: the tests for each program (see :func:`compile_tests`), same length as ``codes``.
        timeout: wall-clock seconds per candidate.
        memory_mb: address-space limit of the sandbox.

    Returns:
        One :class:`VerifierResult` per program, in order.

    Raises:
        ValueError: on malformed arguments or tests (our input, not model output).
    """
    if not isinstance(codes, list) or not isinstance(tests, list) or len(codes) != len(tests):
        raise ValueError("codes and tests must be lists of the same length")
    if not (isinstance(timeout, (int, float)) and 0 < timeout <= 60):
        raise ValueError(f"timeout must be in (0, 60] seconds, got {timeout!r}")
    if not (isinstance(memory_mb, int) and 64 <= memory_mb <= 65536):
        raise ValueError(f"memory_mb must be an int in [64, 65536], got {memory_mb!r}")
    compiled = [compile_tests(t) for t in tests]
    results: list[VerifierResult | None] = [None] * len(codes)
    items, where, extracted = [], [], {}
    for i, (code, steps) in enumerate(zip(codes, compiled, strict=True)):
        if not isinstance(code, str):
            results[i] = VerifierResult(0.0, "code is not a string", None, {})
            continue
        program, fenced = extract_code(code)
        extracted[i] = (program, fenced)
        if len(program) > MAX_CODE_CHARS:
            results[i] = VerifierResult(0.0, "code too long", program[:80], {})
            continue
        try:
            compile(program, "<candidate>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as err:
            msg = getattr(err, "msg", None) or type(err).__name__
            results[i] = VerifierResult(0.0, f"syntax error: {msg}", program, {"tests": []})
            continue
        wire = [{"kind": s["kind"] if s["kind"] == "value" else "stmt", "src": s["src"]}
                for s in steps]  # fmt: skip
        items.append({"code": program, "steps": wire})
        where.append(i)
    if items:
        replies, failure, uid = _run_sandbox(items, float(timeout), memory_mb)
        for k, i in enumerate(where):
            if replies is None:
                res = VerifierResult(0.0, failure, None, {})
            else:
                res = _verdict(compiled[i], replies[k], float(timeout))
            program, fenced = extracted[i]
            meta = {**res.meta, "from_markdown": fenced, "sandbox_uid": uid}
            results[i] = VerifierResult(res.reward, res.reason, program, meta)
    return [r for r in results if r is not None]


def verify_code(
    code: str, tests: str | list[str], *, timeout: float = 2.0, memory_mb: int = 512
) -> VerifierResult:
    """Run ``code`` against ``tests`` in the sandbox; reward 1.0 iff every test passes.

    Args:
        code: a Python program, or a completion holding a fenced python block (the last one
            is used). Never raises on it.
        tests: a block of code whose top-level ``assert`` statements are the tests, or a list of
            test strings. ``assert expr == <literal>`` is checked in the verifier's process.
        timeout: wall-clock seconds the candidate may run (CPU is limited too).
        memory_mb: address-space limit of the sandbox in MiB.

    Returns:
        A :class:`VerifierResult`; ``meta["tests"]`` lists each test with ``passed``, ``error``
        and ``message``; ``meta["output"]`` is the candidate's truncated stdout/stderr;
        ``meta["sandbox_uid"]`` is the fresh user id it ran as (None without root).
    """
    return verify_code_batch([code], [tests], timeout=timeout, memory_mb=memory_mb)[0]
