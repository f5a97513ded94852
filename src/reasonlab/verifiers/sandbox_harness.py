"""The code judge's in-sandbox harness (stdlib only; run as ``python -I -S -c <this source>``).

It runs as an unprivileged, resource-limited process (see :mod:`reasonlab.verifiers.sandbox`).
It reads one JSON payload from stdin, then for each candidate program forks a child in its own
process group that runs the candidate and its test steps, and reports back through a pipe. The
parent harness kills a child (and its group) at the per-candidate wall-clock deadline.

Test steps come in two kinds: ``value`` steps only *compute* an expression (``f(3)``) and send
the result back, encoded with exact type checks, so the verifier compares it with the expected
value in its own process (the expected value never enters the sandbox); ``stmt`` steps run a
statement (``assert ...``) and pass if it raises nothing. Each report line starts with a secret
token, so output the candidate prints itself can never pass for a report.
"""

import builtins
import json
import os
import resource
import select
import signal
import sys
import time

# References taken before any candidate code runs (it may patch the builtins later).
_type, _len, _repr, _str, _isinstance = type, len, repr, str, isinstance
_hex, _fhex = hex, float.hex
_BaseException = BaseException
_settrace, _setprofile = sys.settrace, sys.setprofile
_write, _exit, _getpid = os.write, os._exit, os.getpid
_PRISTINE = dict(builtins.__dict__)
MAX_VALUE_CHARS = 200_000


class NotPlainValueError(Exception):
    pass


def encode(value, budget):
    """A JSON-safe tagged form of a value built from exact builtin types only."""
    budget[0] -= 1
    if budget[0] < 0:
        raise NotPlainValueError("value too large")
    t = _type(value)
    if value is None:
        return ["none"]
    if t is bool:
        return ["bool", value is True]
    if t is int:
        return ["int", _hex(value)]
    if t is float:
        return ["float", _fhex(value)]
    if t is complex:
        return ["complex", _fhex(value.real), _fhex(value.imag)]
    if t is str:
        budget[0] -= _len(value) // 16
        if budget[0] < 0:
            raise NotPlainValueError("value too large")
        return ["str", value]
    if t is bytes:
        return ["bytes", value.hex()]
    if t is list or t is tuple or t is set or t is frozenset:
        return [t.__name__, [encode(x, budget) for x in value]]
    if t is dict:
        return ["dict", [[encode(k, budget), encode(v, budget)] for k, v in value.items()]]
    raise NotPlainValueError(f"result of type {t.__name__!s} is not a plain value")


def describe(err):
    try:
        message = _str(err)[:300]
    except _BaseException:
        message = "<unprintable>"
    return {"ok": False, "error": _type(err).__name__, "message": message}


def run_candidate(item, token, report_fd):
    """In the forked child: run the program, then every step; write one report line.

    Only this process reports. A copy the candidate forked (a fork storm whose copies fall
    through to the tests) exits without writing: otherwise the verdict would depend on which
    copy's line arrived last, that is, on the machine's speed.
    """
    me = _getpid()
    namespace = {"__name__": "__main__", "__builtins__": dict(_PRISTINE)}
    results = []
    try:
        exec(compile(item["code"], "<candidate>", "exec"), namespace)
        setup = {"ok": True}
    except _BaseException as err:  # SystemExit too: exiting early must not skip the tests
        setup = describe(err)
    for step in item["steps"]:
        _settrace(None)  # a trace function set by the candidate could skip test lines
        _setprofile(None)
        # Tests see the candidate's names but the *original* builtins: a program that defines
        # its own `abs` or `len` cannot change what the test computes.
        test_ns = {k: v for k, v in namespace.items() if k not in _PRISTINE}
        test_ns["__builtins__"] = dict(_PRISTINE)
        try:
            if step["kind"] == "value":
                value = eval(compile(step["src"], "<test>", "eval"), test_ns)
                results.append({"ok": True, "value": encode(value, [MAX_VALUE_CHARS])})
            else:
                exec(compile(step["src"], "<test>", "exec"), test_ns)
                namespace.update((k, v) for k, v in test_ns.items() if k != "__builtins__")
                results.append({"ok": True})
        except _BaseException as err:
            results.append(describe(err))
    if _getpid() != me:
        _exit(0)
    line = token + " " + json.dumps({"setup": setup, "steps": results}) + "\n"
    data = line.encode("utf-8", "surrogatepass")
    while data:
        data = data[_write(report_fd, data) :]


def run_one(item, token, timeout, output_limit):
    report_r, report_w = os.pipe()
    out_r, out_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(report_r)
            os.close(out_r)
            os.setpgid(0, 0)  # its own group, so the harness can kill everything it spawns
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            os.close(out_w)
            cpu = int(timeout) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
            run_candidate(item, token, report_w)
        except _BaseException:
            status = 3
        finally:
            _exit(status)
    os.close(report_w)
    os.close(out_w)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    report, output, exit_status, timed_out = b"", b"", None, False
    open_fds = [report_r, out_r]
    deadline = start + timeout
    while True:
        if exit_status is None:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                exit_status = status
        left = deadline - time.monotonic()
        if exit_status is not None:
            left = 0.0  # the child is gone: drain what is already in the pipes, then stop
        elif left <= 0:
            timed_out = True
            break
        ready = select.select(open_fds, [], [], min(max(left, 0.0), 0.05))[0] if open_fds else []
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.remove(fd)
            elif fd == report_r:
                report += chunk
            elif len(output) < output_limit:
                output += chunk[: output_limit - len(output)]
        if exit_status is not None and not ready:
            break
    for sig_target in (pid,):
        try:
            os.killpg(sig_target, signal.SIGKILL)
        except OSError:
            pass
    if exit_status is None:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    os.close(report_r)
    os.close(out_r)
    elapsed = time.monotonic() - start
    reply = {"seconds": round(elapsed, 4), "output": output.decode("utf-8", "replace")}
    if timed_out:
        reply["status"] = "timeout"
        return reply
    prefix = token.encode() + b" "
    lines = [ln for ln in report.split(b"\n") if ln.startswith(prefix)]
    if not lines:
        if exit_status is not None and os.WIFSIGNALED(exit_status):
            reply["status"] = f"killed by signal {os.WTERMSIG(exit_status)}"
        else:
            code = os.WEXITSTATUS(exit_status) if exit_status is not None else None
            reply["status"] = f"exited with code {code} before reporting"
        return reply
    try:
        reply["report"] = json.loads(lines[-1][len(prefix) :].decode("utf-8", "surrogatepass"))
        reply["status"] = "reported"
    except ValueError:
        reply["status"] = "garbled report"
    return reply


def main():
    payload = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogatepass"))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    token = payload["token"]
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversized writes fail instead of killing us
    for item in payload["items"]:
        # One line per candidate, as soon as it is judged: if a later candidate kills this
        # harness, the launcher keeps these replies and restarts a harness for the rest.
        reply = run_one(item, token, payload["timeout"], payload["output_limit"])
        data = (token + " " + json.dumps(reply) + "\n").encode("utf-8", "surrogatepass")
        while data:
            data = data[os.write(1, data) :]
    _exit(0)


if __name__ == "__main__":
    main()
