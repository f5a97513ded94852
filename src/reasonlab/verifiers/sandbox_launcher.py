"""The code judge's throwaway parent (stdlib only; run as ``python -I -S -c <this source>``).

The caller starts this process in a new session; it starts the harness with resource limits
(and, when we are root, as a fresh unprivileged user id), relays its capped output, enforces the
batch deadline, and before exiting kills every process the candidates left behind. If a
candidate kills this process instead, only this throwaway process dies: the caller notices the
missing reply and does the same clean-up.
"""

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time


def processes_of(uid=None, ancestors=None):
    """PIDs owned by ``uid``, or descended from ``ancestors`` (a set of pids), skipping zombies."""
    found = []
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        if status.get("State", "").strip().startswith("Z"):
            continue
        pid = int(name)
        parents[pid] = int(status.get("PPid", "0"))
        if uid is not None and int(status.get("Uid", "-1").split()[0]) == uid:
            found.append(pid)
    if ancestors is not None:
        tree = set(ancestors)
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
        found = sorted(tree - set(ancestors) - {os.getpid()})
    return found


def sweep(uid, me, reap_children=True):
    """Kill every leftover process (of ``uid`` if set, else our descendants) and reap them.

    The verifier's own process calls this with ``reap_children=False``: reaping there could
    steal the exit status of unrelated children of the caller (a notebook's other subprocesses).
    """
    for _ in range(200):
        pids = processes_of(uid=uid) if uid is not None else processes_of(ancestors={me})
        pids = [p for p in pids if p != me]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if reap_children:
            reap()
        if not pids:
            return
        time.sleep(0.005)


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    cfg = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogatepass"))
    me = os.getpid()
    try:  # orphans of the candidates re-parent to us, not to init, so we can reap them
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass
    uid = cfg["uid"]
    limits = cfg["limits"]

    def limit_child():
        for name, value in limits.items():
            resource.setrlimit(getattr(resource, name), (value, value))
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    job = cfg["job"]
    items = job["items"]
    prefix = job["token"] + " "
    deadline = time.monotonic() + cfg["deadline"]
    replies, stderr, timed_out = [], b"", False
    while len(replies) < len(items) and not timed_out:
        payload = dict(job, items=items[len(replies) :])
        lines, err, timed_out = run_harness(cfg, limit_child, payload, deadline)
        stderr += err
        got = []
        for line in lines:
            if line.startswith(prefix):
                try:
                    got.append(json.loads(line[len(prefix) :]))
                except ValueError:
                    break
        replies += got[: len(items) - len(replies)]
        if len(replies) < len(items) and not timed_out:
            # The next candidate took the harness down with it (kill(getppid()), kill(-1)).
            replies.append({"status": "killed the judge process", "seconds": None, "output": ""})
        sweep(uid, me)
    reply = {
        "replies": replies,
        "timed_out": timed_out,
        "stderr": stderr[-8192:].decode("utf-8", "replace"),
    }
    sys.stdout.write(json.dumps(reply))
    sys.stdout.flush()


def run_harness(cfg, limit_child, payload, deadline):
    """Run one harness process on ``payload``; return (report lines, stderr, timed_out)."""
    proc = subprocess.Popen(
        [cfg["python"], "-I", "-S", "-c", cfg["harness"]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cfg["workdir"],
        env=cfg["env"],
        preexec_fn=limit_child,
        close_fds=True,
    )
    try:
        proc.stdin.write(json.dumps(payload).encode("utf-8", "surrogatepass"))
        proc.stdin.close()
    except BrokenPipeError:
        pass
    caps = {proc.stdout.fileno(): cfg["stdout_limit"], proc.stderr.fileno(): 8192}
    data = {fd: b"" for fd in caps}
    open_fds = list(caps)
    timed_out = False
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        for fd in select.select(open_fds, [], [], min(left, 0.25))[0]:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.remove(fd)
            elif len(data[fd]) < caps[fd]:
                data[fd] += chunk[: caps[fd] - len(data[fd])]
    proc.kill()
    proc.wait()
    out = data[proc.stdout.fileno()].decode("utf-8", "surrogatepass")
    return out.split("\n"), data[proc.stderr.fileno()], timed_out


if __name__ == "__main__":
    main()
