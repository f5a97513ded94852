"""An append-only JSONL log of verified successes, safe against a kill in mid-write.

RL keeps every trajectory the verifier accepted (prompt, completion, reward, verifier metadata,
step, policy name): the raw material for distillation later. A training run can be stopped at
any moment (a notebook interrupted, a laptop closed), so the file format is chosen to survive
that: one JSON object per line, each line written whole and terminated by ``\\n``. A writer
killed mid-line leaves at most one torn last line; :func:`read` skips it, and the next
:meth:`TrajectoryLog.append` cuts it off before writing, so the file never has a torn line
in the middle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path


def _jsonable(obj: object) -> object:
    # Verifier metadata may hold fractions, tuples or numpy scalars: keep their text.
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    return str(obj)


class TrajectoryLog:
    """Append records to ``path`` (created with its folder on first write) and read them back.

    Args:
        path: the JSONL file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def _cut_torn_tail(self) -> None:
        """Truncate a last line that lacks its newline (left by a killed writer)."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size == 0:
                return
            f.seek(size - 1)
            if f.read(1) == b"\n":
                return
            # Walk back to the last complete line; blocks keep this cheap for big files.
            pos = size
            while pos > 0:
                step = min(4096, pos)
                f.seek(pos - step)
                block = f.read(step)
                nl = block.rfind(b"\n")
                if nl >= 0:
                    f.truncate(pos - step + nl + 1)
                    return
                pos -= step
            f.truncate(0)

    def append(self, records: Iterable[dict]) -> int:
        """Append records, one JSON line each; returns how many were written."""
        lines = [json.dumps(r, sort_keys=True, default=_jsonable) + "\n" for r in records]
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._cut_torn_tail()
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
        return len(lines)

    def __iter__(self) -> Iterator[dict]:
        return iter(read(self.path))

    def __len__(self) -> int:
        return len(read(self.path))

    def __repr__(self) -> str:
        return f"TrajectoryLog({str(self.path)!r})"


def read(path: str | os.PathLike) -> list[dict]:
    """All complete records of a log (an absent file has none).

    A torn last line (no newline, or not valid JSON) is skipped: that is the one line a kill
    can damage.

    Raises:
        ValueError: if a line other than the last is not valid JSON (the file was edited or
            written by something else), naming the line.
    """
    path = Path(path)
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn = lines.pop()  # text after the last newline: empty, or the torn tail
    out = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ValueError(
                f"{path}: line {i} is not valid JSON ({e.msg}); only a torn "
                f"last line is expected in a trajectory log"
            ) from None
    del torn  # skipped on purpose
    return out
