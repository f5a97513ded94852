"""Accuracy and speed of the verifiers, in one run. Prints figures; not a test.

    .venv/bin/python benchmarks/verifiers.py            # everything (about a minute)
    .venv/bin/python benchmarks/verifiers.py --quick    # fewer repetitions
    .venv/bin/python benchmarks/verifiers.py --json     # per-table agreement and checks/s

1. Precision/recall of ``verify_math``, HuggingFace ``math-verify`` (pin: math-verify==0.9.0) and
   two naive verifiers on the labelled corpus (``reasonlab.verifiers.corpus``): the cases written
   alongside our verifier, and a held-out set written after it was frozen.
1b. The same, for ``verify_math`` and math-verify, on each peer table (``tests/data/peer_*.jsonl``:
   other projects' own grader tests, transcribed as data): the test rows (not marked
   configuration-dependent or disputed) and all rows; plus checks per second over the mixed
   table (every row of every peer table), each verifier in a fresh process, start-up included
   (imports, sympy, and for ours the worker), and the slowest single call.
2. Checks per second of ``verify_math`` and ``math-verify`` on the same corpus, and of
   ``verify_math``'s fast path on the RL loop's case (``"<think>...</think> #### 936"``), its
   "the answer is" path, and ``verify_logic`` on both task kinds.
3. The worst time ``verify_math`` takes on hostile answers (power towers, deep nesting, MBs).
4. Programs per second through the code judge: one sandbox per program, sequentially and with a
   pool of 2 threads (the work is in subprocesses), and ``verify_code_batch`` (one sandbox per
   batch), alone and with a pool of 2.

``--json``: for the corpus and every peer table (the nine tables from other projects' grader
tests too), each verifier in a process of its own, warm (start-up reported apart), one pass:
agreement with the labels (all rows; and the first two tables' test rows), false accepts and
false rejects, and checks per second of CPU time (this process, the sympy worker and any worker
it replaced: the work done, whatever else a shared machine runs) and of wall time; plus a
second pass over the corpus, which the caches serve. Then the mixed peer table (every row of
every peer table) for both verifiers, each run ``MIXED_RUNS`` times in fresh processes, start-up
included (importing the library, sympy, and for ours the worker with math-verify inside it),
alternating, the median in checks per CPU second and per wall second; ours' slowest single call
there (the worker's start excluded: it is start-up); and the fast path's checks per second.

math-verify gets the gold as ``$answer$`` (its documented way to mark a LaTeX gold answer; for a
GSM8K reference solution, the text after ``####``); completions go in unchanged.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_T0 = time.perf_counter()
from reasonlab.verifiers import verify_code, verify_code_batch, verify_logic, verify_math  # noqa: E402
from reasonlab.verifiers.corpus import ALL_CASES, HELD_OUT  # noqa: E402
from reasonlab.verifiers.naive import last_number_match, score, substring_match  # noqa: E402

_STARTED = time.perf_counter() - _T0  # importing our package (the timing below adds the rest)

HOSTILE = [
    "\\boxed{9^{9^{9^{9}}}}",
    "\\boxed{10**10**10}",
    "\\boxed{(x+1)^{100000}}",
    "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",
    "\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}",
    "\\boxed{" + "x+" * 100000 + "1}",
    "#### " + "9" * 1_000_000,
    "1 " * 500_000,
    "\\boxed{" * 100_000,
    "\\boxed{\\tan(x+y+z)}",  # passes the guards and goes to sympy
    "\\boxed{(x^2+2xy+y^2)^{100}}",
]
COMPARE = {"kind": "compare", "a": "9.11", "b": "9.9"}
COUNTDOWN = {"kind": "countdown", "numbers": [9, 3, 5, 1, 4], "target": 35}
TAN_GOLD = (
    "\\frac{\\tan(x)+\\tan(y)+\\tan(z)-\\tan(x)\\tan(y)\\tan(z)}"
    "{1-\\tan(x)\\tan(y)-\\tan(y)\\tan(z)-\\tan(x)\\tan(z)}"
)


def math_verify_gold(gold: str) -> str:
    """The gold as math-verify is given it: a GSM8K solution's text after ``####``; otherwise
    the gold as written, inside ``$...$`` unless it is delimited already."""
    if "####" in gold:
        gold = gold.rsplit("####", 1)[1].strip()
    if any(m in gold for m in ("$", "\\boxed", "\\(", "\\[")):
        return gold
    return f"${gold}$"


def math_verify_fn():
    """math-verify 0.9.0 with its default settings (its own extraction of both sides)."""
    from math_verify import parse, verify

    def check(completion: str, gold: str) -> bool:
        return bool(verify(parse(math_verify_gold(gold)), parse(completion)))

    return check


def ours(completion: str, gold: str) -> bool:
    return verify_math(completion, gold).reward == 1.0


_DATA = Path(__file__).parents[1] / "tests" / "data"
PEER_TABLES = {
    "Math-Verify": _DATA / "peer_math_verify.jsonl",
    "lighteval": _DATA / "peer_lighteval.jsonl",
    **{
        p.stem.removeprefix("peer_"): p
        for p in sorted(_DATA.glob("peer_*.jsonl"))
        if p.name not in ("peer_math_verify.jsonl", "peer_lighteval.jsonl")
    },
}


def peer_rows(name: str) -> list[dict]:
    if name == "corpus":
        return [
            {"gold": c.gold, "prediction": c.completion, "expected": c.equal}
            for c in ALL_CASES + HELD_OUT
        ]
    return [json.loads(line) for line in PEER_TABLES[name].read_text().splitlines()]


def _cpu_seconds() -> float:
    """CPU time of this process, of its children already reaped, and of its live children (the
    sympy worker and its spare), read from /proc: the work done, whatever else the machine runs."""
    import os
    import resource

    total = time.process_time()
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    total += reaped.ru_utime + reaped.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    try:
        children = Path(f"/proc/self/task/{os.getpid()}/children").read_text().split()
    except OSError:
        children = []
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def time_tables(which: str, only: str) -> None:
    """Child process of :func:`json_report`: one pass over one table, warm (imports and the sympy
    worker started first, and that cost reported on its own), caches empty (each table in a
    process of its own: the peer tables share rows); for the corpus also a second pass, which
    the caches serve (an RL batch repeats gold answers and wrong answers); prints JSON."""
    t0, c0 = time.perf_counter(), _cpu_seconds()
    logging.disable(logging.WARNING)
    fn = ours if which == "ours" else math_verify_fn()
    fn("\\boxed{\\sin^2 x + \\cos^2 x}", "1")  # starts our sympy worker
    fn("\\boxed{\\frac{1}{2}}", "0.5")
    out = {"startup_wall": time.perf_counter() - t0 + (_STARTED if which == "ours" else 0.0),
           "startup_cpu": _cpu_seconds() - c0, "tables": {}}  # fmt: skip
    for name in [only, "corpus (second pass)"] if only == "corpus" else [only]:
        rows = peer_rows(name.split()[0])
        t0, c0 = time.perf_counter(), _cpu_seconds()
        verdicts = [bool(fn(r["prediction"], r["gold"])) for r in rows]
        out["tables"][name] = {
            "verdicts": verdicts,
            "wall": time.perf_counter() - t0,
            "cpu": _cpu_seconds() - c0,
        }
    print(json.dumps(out))


MIXED_RUNS = 3  # fresh processes per verifier, alternating; the median is reported


def mixed_report() -> dict:
    """Checks per second over the mixed peer table, start-up included, for both verifiers:
    ``MIXED_RUNS`` fresh processes each, alternating (so that a busy spell of a shared machine
    hits both), the median of each."""
    runs: dict[str, list[dict]] = {"ours": [], "math-verify": []}
    for _ in range(MIXED_RUNS):
        for which in runs:
            runs[which].append(mixed_run(which))
    out: dict = {"rows": runs["ours"][0]["rows"], "runs": MIXED_RUNS}
    for which, got in runs.items():
        cpu = sorted(r["cpu_s"] for r in got)[len(got) // 2]
        wall = sorted(r["wall_s"] for r in got)[len(got) // 2]
        out[which] = {
            "checks_per_cpu_s": round(out["rows"] / cpu, 1),
            "checks_per_wall_s": round(out["rows"] / wall, 1),
            "cpu_s": [round(r["cpu_s"], 3) for r in got],
            "wall_s": [round(r["wall_s"], 3) for r in got],
        }
    worst = max(runs["ours"], key=lambda r: r["worst_call_s"])
    out["ours"]["worst_call_s"] = round(worst["worst_call_s"], 3)
    out["ours"]["worst_call"] = worst["worst_call"]
    for unit in ("cpu", "wall"):
        key = f"checks_per_{unit}_s"
        out[f"speedup_{unit}"] = round(out["ours"][key] / out["math-verify"][key], 2)
    return out


def json_report() -> None:
    """Agreement, false accepts and checks/s (CPU and wall) per table for both verifiers; the
    mixed peer table from fresh processes, start-up included; the fast path's checks/s."""
    report: dict = {"cpu_count": __import__("os").cpu_count(), "tables": {}}
    report["mixed_peer_table"] = mixed_report()
    report["fast_path_checks_per_s"] = round(fast_path_rate(100_000))
    runs: dict = {"ours": {"tables": {}}, "math-verify": {"tables": {}}}
    for which in ("ours", "math-verify"):
        for table in ["corpus", *PEER_TABLES]:
            proc = subprocess.run(
                [sys.executable, __file__, "--time-tables", which, "--table", table],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            runs[which]["tables"].update(run["tables"])
            report[f"{which}_startup"] = {
                "wall_s": round(run["startup_wall"], 3),
                "cpu_s": round(run["startup_cpu"], 3),
            }
    for name in runs["ours"]["tables"]:
        rows = peer_rows(name.split()[0])
        entry: dict = {"rows": len(rows)}
        for which, run in runs.items():
            t = run["tables"][name]
            v = t["verdicts"]
            fa = sum(a and not r["expected"] for a, r in zip(v, rows, strict=True))
            fr = sum(r["expected"] and not a for a, r in zip(v, rows, strict=True))
            test = [
                a == r["expected"]
                for a, r in zip(v, rows, strict=True)
                if not (r.get("config_dependent") or r.get("disputed"))
            ]
            entry[which] = {
                "agree": len(rows) - fa - fr,
                "agree_test_rows": f"{sum(test)}/{len(test)}",
                "false_accepts": fa,
                "false_rejects": fr,
                "checks_per_cpu_s": round(len(rows) / max(t["cpu"], 1e-9), 1),
                "checks_per_wall_s": round(len(rows) / max(t["wall"], 1e-9), 1),
            }
        entry["speedup_cpu"] = round(
            entry["ours"]["checks_per_cpu_s"] / entry["math-verify"]["checks_per_cpu_s"], 2
        )
        report["tables"][name] = entry
    print(json.dumps(report, indent=1))


def peer_score(verdicts: list[bool], rows: list[dict]) -> str:
    tp = sum(v and r["expected"] for v, r in zip(verdicts, rows, strict=True))
    fa = sum(v and not r["expected"] for v, r in zip(verdicts, rows, strict=True))
    fr = sum(r["expected"] and not v for v, r in zip(verdicts, rows, strict=True))
    pos = sum(r["expected"] for r in rows)
    precision = tp / (tp + fa) if tp + fa else 1.0
    agree = len(rows) - fa - fr
    return (
        f"{precision:>10.3f}{tp / pos if pos else 1.0:>8.3f}{agree / len(rows):>7.3f}"
        f"{fa:>5}{fr:>5}   ({agree}/{len(rows)})"
    )


def time_in_fresh_process(which: str) -> tuple[float, int]:
    """(seconds from importing the verifier to the last verdict, rows) for one verifier."""
    run = mixed_run(which)
    return run["wall_s"], run["rows"]


def mixed_run(which: str) -> dict:
    """One pass of one verifier over the mixed peer table in a fresh process (see time_mixed)."""
    out = subprocess.run(
        [sys.executable, __file__, "--time-mixed", which],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def time_mixed(which: str) -> None:
    """Child process of :func:`mixed_run`: every row of every peer table, once, caches empty,
    start-up included for both verifiers (importing the library, sympy and, for ours, its
    worker and math-verify inside it); prints JSON: rows, wall and CPU seconds (CPU of this
    process and of its children: the work done, whatever else the machine runs) and, for ours,
    the slowest single call (the wait for the worker's start excluded: it is start-up)."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    logging.disable(logging.WARNING)
    fn = math_verify_fn() if which == "math-verify" else None
    rows = [r for name in PEER_TABLES for r in peer_rows(name)]
    worst, worst_row, startup = 0.0, "", 0.0
    for r in rows:
        if fn is not None:
            fn(r["prediction"], r["gold"])
            continue
        t0 = time.perf_counter()
        res = verify_math(r["prediction"], r["gold"])
        waited = res.meta.get("worker_startup_seconds", 0.0)
        startup += waited
        took = time.perf_counter() - t0 - waited
        if took > worst:
            worst, worst_row = took, f"{r['source']} ({res.reason})"
    imported = _STARTED if which == "ours" else 0.0  # math-verify's import is timed above
    out = {
        "rows": len(rows),
        "wall_s": time.perf_counter() - start + imported,
        "cpu_s": _cpu_seconds() - cpu + imported,
    }
    if fn is None:
        out.update(worst_call_s=worst, worst_call=worst_row, worker_startup_s=startup)
    print(json.dumps(out))


def fast_path_rate(n: int) -> float:
    """Checks per second of the RL loop's case, ``"<think>...</think> #### 936"``."""
    completion = "<think>900 + 30 + 6 = 936</think> #### 936"
    start = time.perf_counter()
    for _ in range(n):
        verify_math(completion, "936")
    return n / (time.perf_counter() - start)


def peer_section() -> None:
    mv = math_verify_fn()
    print("\n== math verifiers on other projects' test suites (tests/data/peer_*.jsonl)")
    print(f"{'verifier':<22}{'table / rows':<26}{'precision':>10}{'recall':>8}{'agree':>7}"
          f"{'FA':>5}{'FR':>5}")  # fmt: skip
    worst, worst_name = 0.0, ""
    for name in PEER_TABLES:
        rows = peer_rows(name)
        test = [r for r in rows if not (r["config_dependent"] or r["disputed"])]
        verdicts = {}
        for vname, fn in (("reasonlab verify_math", None), ("math-verify 0.9.0", mv)):
            got = []
            for r in rows:
                if fn is None:
                    t0 = time.perf_counter()
                    res = verify_math(r["prediction"], r["gold"])
                    took = time.perf_counter() - t0 - res.meta.get("worker_startup_seconds", 0.0)
                    if took > worst:
                        worst, worst_name = took, f"{r['source']} ({res.reason})"
                    got.append(res.reward == 1.0)
                else:
                    got.append(fn(r["prediction"], r["gold"]))
            verdicts[vname] = got
        for vname, got in verdicts.items():
            by_row = dict(zip((id(r) for r in rows), got, strict=True))
            for label, subset in ((f"{name} test", test), (f"{name} all", rows)):
                score_line = peer_score([by_row[id(r)] for r in subset], subset)
                print(f"{vname:<22}{label + f' ({len(subset)})':<26}{score_line}")
    print(f"slowest verify_math call on the peer tables: {worst:.3f} s, {worst_name}")
    t_ours, n = time_in_fresh_process("ours")
    t_mv, _ = time_in_fresh_process("math-verify")
    print(
        f"mixed peer table ({n} rows), fresh process, start-up included: "
        f"verify_math {n / t_ours:,.0f} checks/s, math-verify {n / t_mv:,.0f} checks/s "
        f"(ours is {t_mv / t_ours:.1f}x)"
    )


def rate(fn, cases, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        for case in cases:
            fn(case.completion, case.gold)
    return repeats * len(cases) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--peer-only", action="store_true", help="only the peer-table section")
    parser.add_argument("--json", action="store_true", help="per-table agreement and speed, JSON")
    parser.add_argument("--time-mixed", choices=["ours", "math-verify"], help=argparse.SUPPRESS)
    parser.add_argument("--time-tables", choices=["ours", "math-verify"], help=argparse.SUPPRESS)
    parser.add_argument("--table", default="corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_mixed:
        time_mixed(args.time_mixed)
        return
    if args.time_tables:
        time_tables(args.time_tables, args.table)
        return
    if args.json:
        json_report()
        return
    if args.peer_only:
        peer_section()
        return
    logging.disable(logging.WARNING)  # math-verify logs every parse failure
    reps = 1 if args.quick else 3
    mv = math_verify_fn()
    ours("\\boxed{x+1}", "1+x")  # start the sympy worker (about 1 s, once per process)
    mv("\\boxed{x+1}", "1+x")

    print(f"== math verifiers on the labelled corpus ({len(ALL_CASES)} + {len(HELD_OUT)} cases)")
    print(f"{'verifier':<22}{'set':<10}{'precision':>10}{'recall':>8}{'acc':>7}{'FP':>5}{'FN':>5}")
    verifiers = [
        ("reasonlab verify_math", ours),
        ("math-verify 0.9.0", mv),
        ("substring", substring_match),
        ("last number", last_number_match),
    ]
    for name, fn in verifiers:
        for set_name, cases in (("written", ALL_CASES), ("held-out", HELD_OUT)):
            s = score(fn, cases)
            print(
                f"{name:<22}{set_name:<10}{s.precision:>10.3f}{s.recall:>8.3f}{s.accuracy:>7.3f}"
                f"{s.false_positives:>5}{s.false_negatives:>5}"
            )

    everything = ALL_CASES + HELD_OUT
    agree = sum(ours(c.completion, c.gold) == mv(c.completion, c.gold) for c in everything)
    print(f"verify_math and math-verify agree on {agree}/{len(everything)} cases")
    peer_section()

    print("\n== checks per second (same corpus, both sets, one process, one thread)")
    cases = ALL_CASES + HELD_OUT
    r_ours, r_mv = rate(ours, cases, reps), rate(mv, cases, 1)
    print(f"reasonlab verify_math   {r_ours:>10,.0f} /s")
    print(f"math-verify 0.9.0       {r_mv:>10,.0f} /s   (ours is {r_ours / r_mv:.1f}x)")
    n = 20_000 if args.quick else 100_000
    print(f"fast path '#### 936'    {fast_path_rate(n):>10,.0f} /s")
    others = [
        ("'The answer is 936.'", verify_math, "<think>900 + 36</think> The answer is 936.", "936"),
        ("logic compare", verify_logic, "<think>9.90 > 9.11</think> #### 9.9", COMPARE),
        ("logic countdown", verify_logic, "<think>...</think> #### 9*3+5-1+4", COUNTDOWN),
    ]
    for name, fn, completion, target in others:
        start = time.perf_counter()
        for _ in range(n // 5):
            fn(completion, target)
        print(f"{name:<24}{n // 5 / (time.perf_counter() - start):>10,.0f} /s")

    print("\n== worst case on hostile answers (default timeout; worker start-up excluded)")
    worst, worst_name = 0.0, ""
    for completion in HOSTILE:
        gold = "\\frac{x}{2}"  # the two that reach sympy get a gold they can be compared with
        if completion.startswith(("\\boxed{\\tan", "\\boxed{(")):
            gold = TAN_GOLD if "tan" in completion else "(x+y)^{200}"
        start = time.perf_counter()
        r = verify_math(completion, gold)
        took = time.perf_counter() - start - r.meta.get("worker_startup_seconds", 0.0)
        if took > worst:
            worst, worst_name = took, f"{completion[:30]!r} ({r.reason})"
    print(f"slowest: {worst:.3f} s for {worst_name}")

    print("\n== code judge: programs per second (2 cores shared with other work)")
    code = "def f(x):\n    return 2 * x\n"
    tests = ["assert f(2) == 4", "assert f(-3) == -6"]
    n_seq = 10 if args.quick else 30
    start = time.perf_counter()
    for _ in range(n_seq):
        assert verify_code(code, tests).reward == 1.0
    print(f"verify_code, sequential          {n_seq / (time.perf_counter() - start):>8.1f} /s")
    with ThreadPoolExecutor(2) as pool:
        start = time.perf_counter()
        out = list(pool.map(lambda _: verify_code(code, tests), range(2 * n_seq)))
        assert all(r.reward == 1.0 for r in out)
        print(
            f"verify_code, pool of 2           {2 * n_seq / (time.perf_counter() - start):>8.1f} /s"
        )
    n_batch = 100 if args.quick else 300
    start = time.perf_counter()
    out = verify_code_batch([code] * n_batch, [tests] * n_batch)
    assert all(r.reward == 1.0 for r in out)
    print(f"verify_code_batch, one sandbox   {n_batch / (time.perf_counter() - start):>8.1f} /s")
    with ThreadPoolExecutor(2) as pool:
        start = time.perf_counter()
        chunks = list(
            pool.map(lambda _: verify_code_batch([code] * n_batch, [tests] * n_batch), range(2))
        )
        assert all(r.reward == 1.0 for chunk in chunks for r in chunk)
        rate_pool = 2 * n_batch / (time.perf_counter() - start)
        print(f"verify_code_batch, pool of 2     {rate_pool:>8.1f} /s")


if __name__ == "__main__":
    main()
