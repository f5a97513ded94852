"""The code judge against hostile programs: each is contained, ends in time, leaves nothing."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest

from reasonlab.verifiers import verify_code, verify_code_batch
from reasonlab.verifiers.sandbox import UID_RANGE, _sandbox_python
from reasonlab.verifiers.sandbox_tests import compile_tests

TIMEOUT = 1.0
#: Wall-clock allowance on top of the verifier's own timeout for starting the harness and
#: reporting, generous for a machine whose cores are all busy: these bounds tell a candidate
#: killed at its deadline (about TIMEOUT) from one that ran on (100 s), not fast from slow.
LOAD_SLACK = 10.0
GOOD = "def f(x):\n    return 2 * x\n"
TESTS = ["assert f(2) == 4", "assert f(-3) == -6"]
ROOT_MODE = os.geteuid() == 0 and _sandbox_python()[1]


def sandbox_leftovers(uid: int | None = None) -> tuple[list[int], list[str]]:
    """Processes and shared-tmp files owned by ``uid`` (default: any sandbox uid)."""

    def ours(owner: int) -> bool:
        return owner == uid if uid is not None else UID_RANGE[0] <= owner < UID_RANGE[1]

    procs, files = [], []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as f:
                    owner = int(next(ln for ln in f if ln.startswith("Uid:")).split()[1])
            except (OSError, StopIteration):
                continue
            if ours(owner):
                procs.append(int(name))
    for root in ("/tmp", "/var/tmp", "/dev/shm"):
        for entry in os.scandir(root):
            try:
                if ours(entry.stat(follow_symlinks=False).st_uid):
                    files.append(entry.path)
            except OSError:
                pass
    return procs, files


def settled_leftovers(uid: int, within: float = LOAD_SLACK) -> tuple[list[int], list[str]]:
    """:func:`sandbox_leftovers`, allowing killed processes ``within`` seconds to finish dying.

    A process sent SIGKILL stays in /proc until the kernel has torn it down and its parent has
    reaped it; on a loaded machine that can outlast the verdict by a moment. A survivor (the
    tests' ``sleep 100``) is still there after ``within`` seconds.
    """
    deadline = time.monotonic() + within
    while True:
        procs, files = sandbox_leftovers(uid)
        if not procs and not files or time.monotonic() > deadline:
            return procs, files
        time.sleep(0.05)


def judge(code: str, tests=TESTS, timeout: float = TIMEOUT):
    """Run the judge, check it ended in time and left nothing behind; return the result."""
    start = time.monotonic()
    result = verify_code(code, tests, timeout=timeout)
    elapsed = time.monotonic() - start
    assert elapsed < timeout + LOAD_SLACK, f"took {elapsed:.2f} s: {result.reason}"
    if ROOT_MODE and "sandbox_uid" in result.meta:  # (a syntax error never starts one)
        assert result.meta["sandbox_uid"] is not None
        procs, files = settled_leftovers(result.meta["sandbox_uid"])
        assert not procs, f"processes left behind: {procs}"
        assert not files, f"files left behind: {files}"
    return result


def test_correct_program_passes_with_per_test_feedback():
    r = judge(GOOD)
    assert r.reward == 1.0 and r.reason == "2/2 tests passed"
    assert [t["passed"] for t in r.meta["tests"]] == [True, True]


def test_wrong_program_fails_and_names_the_test():
    r = judge("def f(x):\n    return x + 2\n")
    assert r.reward == 0.0
    assert r.reason == "1/2 tests passed: test_1 AssertionError"
    assert r.meta["tests"][1]["message"] == "got -1, expected -6"


def test_tests_as_a_block_with_setup():
    tests = "data = [1, 2, 3]\nassert f(len(data)) == 6\nassert f(0) == 0\n"
    assert judge(GOOD, tests).reward == 1.0
    assert judge("def f(x):\n    return 6\n", tests).reward == 0.0


def test_completion_with_markdown_fence():
    completion = f"<think>double it</think>\n```python\n{GOOD}```\nDone."
    r = judge(completion)
    assert r.reward == 1.0 and r.meta["from_markdown"] and r.extracted == GOOD


@pytest.mark.parametrize(
    "name, code, reason_start",
    [
        ("infinite loop", "while True:\n    pass\n", "timeout"),
        ("sleep", "import time\ntime.sleep(100)\n", "timeout"),
        ("syntax error", "def f(x) return 2*x", "syntax error"),
        ("exception", "raise ValueError('no')\n" + GOOD, "0/3 tests passed: program ValueError"),
        ("recursion", "def f(x):\n    return f(x)\n", "0/2 tests passed: test_0 RecursionError"),
        ("sys.exit before tests", GOOD + "import sys\nsys.exit(0)\n", "2/3 tests passed: program"),
        ("os._exit", GOOD + "import os\nos._exit(0)\n", "no test report"),
        ("kill self", GOOD + "import os, signal\nos.kill(os.getpid(), 9)\n", "no test report"),
        ("kill parent", GOOD + "import os\nos.kill(os.getppid(), 9)\n", "no test report"),
        ("kill group", GOOD + "import os\nos.killpg(0, 9)\n", "no test report"),
        ("memory bomb", "x = bytearray(8 * 2**30)\n" + GOOD, "0/3 tests passed: program Memory"),
    ],
)
def test_hostile_program_is_contained(name, code, reason_start):
    r = judge(code)
    assert r.reward == 0.0, name
    assert r.reason.startswith(reason_start), (name, r.reason)


def test_segfault_by_unbounded_recursion():
    code = "import sys\nsys.setrecursionlimit(10**8)\ndef g(n):\n    return g(n + 1)\ng(0)\n" + GOOD
    r = judge(code)
    assert r.reward == 0.0 and r.reason.startswith(("no test report", "0/3", "timeout"))


def test_fork_bomb_is_contained():
    code = (
        "import os\n"
        "for _ in range(10000):\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        pass\n" + GOOD
    )
    r = judge(code)  # ends in time and leaves no process behind (judge checks both)
    # The copies are capped (RLIMIT_NPROC) and killed, and only the process the harness started
    # reports, so no copy's line decides the verdict. Its f is correct; whether 10,000 fork
    # attempts by ~32 copies finish inside 1 s depends on the machine's load, so a timeout is
    # the only other right answer.
    assert r.reason == "2/2 tests passed" or r.reason.startswith("timeout after"), r.reason
    assert r.reward == (1.0 if r.reason == "2/2 tests passed" else 0.0)


def test_daemon_and_subprocess_are_killed():
    code = (
        "import os, subprocess\n"
        "subprocess.Popen(['sleep', '100'])\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        import time\n"
        "        time.sleep(100)\n"
        "    os._exit(0)\n" + GOOD
    )
    r = judge(code)
    assert r.reward == 1.0  # the program itself is correct; its children must still die
    # judge() has checked that no process of the sandbox uid survived.


def test_huge_output_is_truncated():
    r = judge("while True:\n    print('x' * 10000)\n")
    assert r.reason.startswith("timeout")
    assert len(r.meta["output"]) <= 4096


def test_non_utf8_output_does_not_break_the_judge():
    code = "import sys, os\nos.write(1, b'\\xff\\xfe\\x00bad')\n" + GOOD
    r = judge(code)
    assert r.reward == 1.0


@pytest.mark.skipif(not ROOT_MODE, reason="file protection comes from the uid switch (root)")
def test_files_outside_the_workdir_are_protected_or_removed(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    outside = f"/tmp/reasonlab-pwned-{secrets.token_hex(4)}"
    in_repo = Path(__file__).resolve().parents[1] / f"pwned-{secrets.token_hex(4)}.txt"
    code = (
        "import os\n"
        f"for p in [{str(victim)!r}]:\n"
        "    try:\n"
        "        os.remove(p)\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        f"    open({str(in_repo)!r}, 'w').write('x')\n"
        "except OSError:\n"
        "    pass\n"
        f"open({outside!r}, 'w').write('x')\n"
        "open('local.txt', 'w').write('fine')\n" + GOOD
    )
    r = judge(code)
    assert r.reward == 1.0
    assert victim.read_text() == "precious"
    assert not in_repo.exists()
    assert not os.path.exists(outside)


def test_environment_is_stripped(monkeypatch):
    monkeypatch.setenv("REASONLAB_SECRET", "hunter2")
    code = "import os\ndef env():\n    return dict(os.environ)\n"
    r = judge(code, ["assert 'REASONLAB_SECRET' not in env()", "assert len(env()) <= 4"])
    assert r.reward == 1.0, r.reason


def test_always_equal_object_is_refused():
    code = "class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return A()\n"
    r = judge(code)
    assert r.reward == 0.0 and "not a plain value" in r.meta["tests"][0]["message"]


def test_rigged_int_subclass_is_refused():
    code = "class I(int):\n    def __eq__(self, o):\n        return True\n\nf = lambda x: I(0)\n"
    assert judge(code).reward == 0.0


def test_patched_builtins_do_not_change_the_test():
    code = (
        "import builtins\nbuiltins.abs = lambda x: 6\nabs = lambda x: 6\ndef f(x):\n    return 0\n"
    )
    assert judge(code, ["assert abs(f(-3)) == 6"]).reward == 0.0


def test_trace_function_cannot_skip_asserts():
    code = (
        "import sys\n"
        "def tracer(frame, event, arg):\n"
        "    if frame.f_code.co_filename == '<test>':\n"
        "        raise SystemExit\n"
        "    return tracer\n"
        "sys.settrace(tracer)\n"
        "def f(x):\n    return 0\n"
    )
    assert judge(code, ["assert f(1) + 1 == 3"]).reward == 0.0


def test_fake_report_printed_by_the_program_does_not_count():
    fake = '{"setup": {"ok": true}, "steps": [{"ok": true}, {"ok": true}]}'
    code = f"print('0' * 32 + ' ' + {fake!r})\nimport os\nos._exit(0)\n"
    assert judge(code).reward == 0.0


def test_batch_isolates_candidates_and_keeps_order():
    codes = [
        GOOD,
        "while True:\n    pass\n",
        "def f(x):\n    return x\n",
        "import os\nos.killpg(0, 9)\n",
        "import os\nos.kill(os.getppid(), 9)\n",
        GOOD,
    ]
    start = time.monotonic()
    results = verify_code_batch(codes, [TESTS] * len(codes), timeout=TIMEOUT)
    elapsed = time.monotonic() - start
    assert [r.reward for r in results] == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert results[4].reason == "no test report: killed the judge process"
    assert results[1].reason.startswith("timeout")
    assert elapsed < TIMEOUT + LOAD_SLACK + 0.5 * len(codes)
    if ROOT_MODE:
        assert settled_leftovers(results[0].meta["sandbox_uid"]) == ([], [])


def test_bad_tests_raise_a_clear_error():
    with pytest.raises(ValueError, match="does not parse"):
        compile_tests(["assert f(2) =="])
    with pytest.raises(ValueError, match="str or a non-empty list"):
        verify_code(GOOD, [])
    with pytest.raises(ValueError, match="timeout"):
        verify_code(GOOD, TESTS, timeout=0)


def test_non_string_code_never_raises():
    assert verify_code(None, TESTS).reward == 0.0  # type: ignore[arg-type]


def _processes_with(marker: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def test_without_a_uid_switch_the_subreaper_still_cleans_up(monkeypatch):
    """The fallback when no unprivileged uid is available: a detached daemon still dies."""
    import sys

    from reasonlab.verifiers import sandbox

    monkeypatch.setattr(sandbox, "_sandbox_python", lambda: (sys.executable, False))
    marker = f"{secrets.randbelow(10**6)}.{secrets.randbelow(10**6)}"
    code = (
        "import os, subprocess\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        subprocess.Popen(['sleep', '{marker}'])\n"
        "        import time\n"
        "        time.sleep(100)\n"
        "    os._exit(0)\n" + GOOD
    )
    start = time.monotonic()
    results = verify_code_batch(
        [code, "while True:\n    pass\n", "import os\nos.kill(os.getppid(), 9)\n", GOOD],
        [TESTS] * 4,
        timeout=TIMEOUT,
    )
    assert time.monotonic() - start < 4 * (TIMEOUT + 0.5) + 2
    assert [r.reward for r in results] == [1.0, 0.0, 0.0, 1.0]
    assert results[0].meta["sandbox_uid"] is None
    time.sleep(0.2)
    assert _processes_with(marker) == []


def test_the_callers_other_children_are_left_alone():
    """Clean-up must not reap (and so steal the exit status of) the caller's own subprocesses."""
    import subprocess

    child = subprocess.Popen(["sh", "-c", "exit 7"])
    time.sleep(0.2)  # it has exited and waits, a zombie, for its parent to collect the status
    assert judge(GOOD).reward == 1.0
    assert child.wait() == 7


@pytest.mark.skipif(not ROOT_MODE, reason="other users' /proc entries are private only across uids")
def test_callers_environment_is_out_of_reach(monkeypatch):
    monkeypatch.setenv("REASONLAB_SECRET", "hunter2")
    code = (
        "import os\n"
        "def peek():\n"
        "    found = []\n"
        "    for pid in os.listdir('/proc'):\n"
        "        try:\n"
        "            with open(f'/proc/{pid}/environ', 'rb') as f:\n"
        "                found.append(b'hunter2' in f.read())\n"
        "        except OSError:\n"
        "            pass\n"
        "    return any(found)\n"
    )
    r = judge(code, ["assert peek() == False"])
    assert r.reward == 1.0, r.meta["tests"]
