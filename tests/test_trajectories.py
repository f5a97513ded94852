"""Trajectory log: append, read back, and survive a writer killed in mid-line."""

import json
import os
import subprocess
import sys
import time

import pytest

from reasonlab.training.trajectories import TrajectoryLog, read


def _rec(i):
    return {
        "prompt": f"{i}+1=",
        "completion": f"#### {i + 1}",
        "reward": 1.0,
        "meta": {"how": "hashes", "pair": (i, 1)},
        "step": i,
        "policy": "t",
    }


def test_append_and_read(tmp_path):
    log = TrajectoryLog(tmp_path / "sub" / "log.jsonl")
    assert read(log.path) == []
    assert log.append([_rec(0), _rec(1)]) == 2
    assert log.append([]) == 0
    log.append([_rec(2)])
    got = list(log)
    assert [r["step"] for r in got] == [0, 1, 2]
    assert got[0]["meta"]["pair"] == [0, 1]  # tuples come back as lists
    assert len(log) == 3


def test_torn_last_line_is_skipped_then_cut(tmp_path):
    log = TrajectoryLog(tmp_path / "log.jsonl")
    log.append([_rec(i) for i in range(5)])
    size = log.path.stat().st_size
    os.truncate(log.path, size - 7)  # a kill in mid-write: the last line loses its end
    assert [r["step"] for r in read(log.path)] == [0, 1, 2, 3]
    log.append([_rec(9)])  # the next writer cuts the torn tail first
    assert [r["step"] for r in read(log.path)] == [0, 1, 2, 3, 9]
    assert log.path.read_bytes().endswith(b"\n")


def test_really_killed_writer(tmp_path):
    path = tmp_path / "log.jsonl"
    code = (
        "import sys; from reasonlab.training.trajectories import TrajectoryLog\n"
        "log = TrajectoryLog(sys.argv[1])\n"
        "big = 'x' * 200000\n"
        "i = 0\n"
        "while True:\n"
        "    log.append([{'step': i, 'completion': big}]); i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)])
    deadline = time.monotonic() + 300  # a hang bound only: the writer needs ~1 s when idle
    try:
        while not path.exists() or path.stat().st_size < 3_000_000:
            if proc.poll() is not None:
                pytest.fail(f"the writer died first (exit code {proc.returncode})")
            if time.monotonic() > deadline:
                pytest.fail("the writer wrote under 3 MB in 300 s")
            time.sleep(0.01)  # leave the core to the writer
    finally:
        proc.kill()
        proc.wait()
    recs = read(path)
    assert len(recs) >= 10
    assert [r["step"] for r in recs] == list(range(len(recs)))


def test_corrupt_middle_line_is_an_error(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(_rec(0)) + "\n{oops\n" + json.dumps(_rec(1)) + "\n")
    with pytest.raises(ValueError, match="line 2"):
        read(path)
