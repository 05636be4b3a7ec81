"""Benchmark simplemon against SimpleMonitor 1.15 and the bare libraries, on loopback.

One command does everything (see bench/README.md)::

    python bench/run.py --sizes 100,1000 --kinds http,tcp,ping,dns,mixed --reps 3

Results go to bench/out/results.json; ``--doc`` rewrites the benchmark part of
docs/performance.md (between its bench markers) and the SVG chart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import configs  # noqa: E402
import targets  # noqa: E402

SM_VERSION = "1.15.0"
RUN_LIMIT = 900.0  # seconds; any single run is killed after this


def make_venv(venv: Path, *install: str) -> None:
    """Create ``venv`` and pip-install ``install`` into it."""
    print(f"creating {venv} with {' '.join(install)}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *install], check=True)


def sm_venv() -> Path:
    """Return a venv with SimpleMonitor 1.15, creating it on a fresh machine.

    SIMPLEMON_BENCH_SM_VENV names an existing (or wanted) venv; the default is
    bench/.venv-sm (git-ignored).
    """
    venv = Path(os.environ.get("SIMPLEMON_BENCH_SM_VENV", HERE / ".venv-sm"))
    exe = venv / "bin" / "simplemonitor"
    if not exe.exists():
        make_venv(venv, f"simplemonitor=={SM_VERSION}")
    return venv


def ours_python() -> str:
    """Return the interpreter of a venv holding only our requirements.

    SimpleMonitor runs from its own venv, so ours does too: a system interpreter
    may carry site-wide ``.pth`` files that run at every start (on the reference
    machine one imports certifi: +35 ms per process, paid only by whichever program
    used it). SIMPLEMON_BENCH_OURS_VENV names the venv; default bench/.venv-ours.
    """
    venv = Path(os.environ.get("SIMPLEMON_BENCH_OURS_VENV", HERE / ".venv-ours"))
    exe = venv / "bin" / "python"
    if not exe.exists():
        make_venv(venv, "-r", str(REPO / "requirements.txt"))
    return str(exe)


def timed(argv: list[str], cwd: Path, limit: float = RUN_LIMIT) -> dict[str, Any]:
    """Run one process to its end; return wall seconds, CPU seconds, max RSS, rc."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killer = threading.Timer(limit, proc.kill)
    killer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
    }


def ours_argv(ini: Path) -> list[str]:
    return [ours_python(), str(REPO / "monitor.py"), "-f", str(ini), "-1", "-q"]


def sm_argv(venv: Path, ini: Path) -> list[str]:
    return [str(venv / "bin" / "simplemonitor"), "-f", str(ini), "-1", "-q"]


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def oneshot(args: argparse.Namespace, t: targets.Targets, out: Path) -> list[dict]:
    """Whole-process ``-1`` runs of both programs, alternating, ``reps`` times."""
    venv = sm_venv() if args.sm_max > 0 else None
    # pip byte-compiles SimpleMonitor at install; do the same for our tree, or with
    # PYTHONDONTWRITEBYTECODE set every run of ours would compile every module anew.
    subprocess.run(
        [ours_python(), "-m", "compileall", "-q", "simplemon", "alerters", "loggers"],
        cwd=REPO,
        check=True,
    )
    rows = []
    for n in args.sizes:
        for kind in args.kinds:
            ini = configs.write(out / "cfg" / f"{kind}-{n}", kind, n, t)
            with_sm = venv is not None and n <= args.sm_max
            reps = args.reps if n < 10000 else max(1, args.reps_10k)
            ours: list[dict[str, Any]] = []
            theirs: list[dict[str, Any]] = []
            for _ in range(reps):
                ours.append(timed(ours_argv(ini), ini.parent))
                if with_sm and venv is not None:
                    sm_reps = reps if n < 10000 else 1
                    if len(theirs) < sm_reps:
                        theirs.append(timed(sm_argv(venv, ini), ini.parent))
            test = [
                timed([*ours_argv(ini)[:-2], "-t"], ini.parent)
                for _ in range(min(reps, 3))
            ]
            row: dict[str, Any] = {
                "kind": kind,
                "n": n,
                "reps": reps,
                "ours": {k: median_of(ours, k) for k in ("wall", "cpu", "rss_mib")},
                "ours_rc": [r["rc"] for r in ours],
                "ours_walls": [round(r["wall"], 3) for r in ours],
                "ours_test_wall": median_of(test, "wall"),
            }
            if theirs:
                row["sm"] = {
                    k: median_of(theirs, k) for k in ("wall", "cpu", "rss_mib")
                }
                row["sm_walls"] = [round(r["wall"], 3) for r in theirs]
                row["ratio"] = row["sm"]["wall"] / row["ours"]["wall"]
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


CEILINGS = {
    "http": ["requests", "requests-session", "raw-http"],
    "tcp": ["tcp", "tcp-select"],
    "ping": ["icmplib", "icmp-socket"],
    "dns": ["dnspython"],
}


def ceilings(args: argparse.Namespace, t: targets.Targets) -> list[dict]:
    """Bare-library runs (whole process, like ours) on the same targets."""
    target_of = {"http": t.url, "tcp": str(t.http_port), "ping": "127.0.0.1"}
    target_of["dns"] = str(t.dns_port)
    rows = []
    for n in args.ceiling_sizes:
        for kind, libs in CEILINGS.items():
            if kind not in args.kinds and "mixed" not in args.kinds:
                continue
            for lib in libs:
                argv = [ours_python(), str(HERE / "ceilings.py"), lib, str(n)]
                runs = [timed([*argv, target_of[kind]], HERE) for _ in range(args.reps)]
                row = {
                    "kind": kind,
                    "lib": lib,
                    "n": n,
                    "wall": median_of(runs, "wall"),
                    "walls": [round(r["wall"], 3) for r in runs],
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def probe(  # noqa: PLR0917 - a bench helper, called in three places
    args: argparse.Namespace,
    t: targets.Targets,
    out: Path,
    name: str,
    kind: str,
    n: int,
    interval: int,
    seconds: float,
    spread: bool = True,
    smtp: bool = False,
) -> dict[str, Any]:
    """Run our daemon in bench/probe.py and return its timing JSON.

    ``smtp``: alerts go to an email alerter whose server accepts and never answers.
    """
    ini = configs.write(
        out / "cfg" / f"{name}-{n}",
        kind,
        n,
        t,
        interval=interval,
        smtp_port=t.hung_smtp_port if smtp else None,
    )
    argv = [sys.executable, str(HERE / "probe.py"), str(ini), str(seconds)]
    if not spread:
        argv.append("--no-spread")
    if smtp:
        argv.append("--alerting")
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + 300, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row.update(name=name, kind=kind, n=n, interval=interval, seconds=seconds)
    print(json.dumps(row), flush=True)
    return row


def sm_period(args: argparse.Namespace, t: targets.Targets, out: Path) -> dict:
    """SimpleMonitor's real period: total time of --loops K at interval=10."""
    venv = sm_venv()
    ini = configs.write(out / "cfg" / "smperiod-1000", args.mix, 1000, t, interval=10)
    loops = 3
    argv = [str(venv / "bin" / "simplemonitor"), "-f", str(ini), "-q"]
    run = timed([*argv, "--loops", str(loops)], ini.parent)
    row = {"name": "sm-period", "loops": loops, "interval": 10, "wall": run["wall"]}
    print(json.dumps(row), flush=True)
    return row


def machine() -> dict[str, Any]:
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "loadavg_start": os.getloadavg(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])

    def ints(s: str) -> list[int]:
        return [int(x) for x in s.split(",") if x]

    def words(s: str) -> list[str]:
        return [x for x in s.split(",") if x]

    p.add_argument("--sizes", type=ints, default=[100, 1000])
    p.add_argument(
        "--kinds", type=words, default=["http", "tcp", "ping", "dns", "mixed"]
    )
    p.add_argument("--reps", type=int, default=3, help="repetitions (medians)")
    p.add_argument("--reps-10k", type=int, default=1, help="repetitions at N=10,000")
    p.add_argument(
        "--sm-max", type=int, default=1000, help="largest N run with SimpleMonitor"
    )
    p.add_argument("--ceiling-sizes", type=ints, default=[1000])
    p.add_argument(
        "--sustained",
        type=float,
        default=0,
        help="seconds of the 10,000-mixed interval=60 run (300 = the issue's 5 min)",
    )
    p.add_argument("--sustained-n", type=int, default=10000)
    p.add_argument(
        "--isolation", type=float, default=0, help="seconds of the hang runs"
    )
    p.add_argument("--period", type=float, default=0, help="seconds of period runs")
    p.add_argument(
        "--mix", default="mixed", help="kind for daemon runs (pd: ping+dns only)"
    )
    p.add_argument("--out", type=Path, default=HERE / "out")
    p.add_argument("--doc", action="store_true", help="update docs/performance.md")
    p.add_argument("--skip-oneshot", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.mixed_ok = args.mix == "mixed"
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "argv": sys.argv}
    with targets.running(out) as t:
        if not args.skip_oneshot:
            results["oneshot"] = oneshot(args, t, out)
            results["ceilings"] = ceilings(args, t)
        if args.period:
            results["period"] = [
                probe(args, t, out, "period", args.mix, 1000, 10, args.period),
            ]
            if args.sm_max > 0:
                results["sm_period"] = sm_period(args, t, out)
        if args.isolation:
            n = 1000
            healthy, hang = ("mixed", "hang") if args.mixed_ok else ("pd", "pd-hang")
            results["isolation"] = [
                probe(args, t, out, "healthy", healthy, n, 10, args.isolation),
                probe(args, t, out, "hang", hang, n, 10, args.isolation),
                probe(
                    args, t, out, "hung-smtp", hang, n, 10, args.isolation, smtp=True
                ),
            ]
        if args.sustained:
            n = args.sustained_n
            results["sustained"] = [
                probe(args, t, out, "sustained", args.mix, n, 60, args.sustained)
            ]
    results["machine"]["loadavg_end"] = os.getloadavg()
    path = out / "results.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(results)
    path.write_text(json.dumps(old, indent=1))
    print(f"results in {path}")
    if args.doc:
        import report

        report.write(old, REPO / "docs" / "performance.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
