"""Turn bench/out/results.json into tables and an SVG chart in docs/performance.md.

Only the text between the bench markers is replaced; other sections of the page stay.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
CHART = "performance-checks-per-second.svg"
LATENESS_CHART = "performance-lateness.svg"


def _f(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def oneshot_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| kind | N | ours `-1` s | SimpleMonitor `-1` s | ratio | ours checks/s "
        "| ours RSS MiB | SM RSS MiB | ours CPU s | ours `-t` s | runs (ours; SM) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        sm = r.get("sm", {})
        out.append(
            f"| {r['kind']} | {r['n']} | {_f(r['ours']['wall'])} | "
            f"{_f(sm.get('wall'))} | {_f(r.get('ratio'), 1)}x | "
            f"{r['n'] / r['ours']['wall']:.0f} | {_f(r['ours']['rss_mib'], 0)} | "
            f"{_f(sm.get('rss_mib'), 0)} | {_f(r['ours']['cpu'])} | "
            f"{_f(r['ours_test_wall'])} | {r['ours_walls']}; {r.get('sm_walls', '-')} |"
        )
    return out


def ceiling_table(rows: list[dict[str, Any]], oneshot: list[dict]) -> list[str]:
    ours = {(r["kind"], r["n"]): r["n"] / r["ours"]["wall"] for r in oneshot}
    out = [
        "| kind | library | N | whole process s | checks/s | ours checks/s "
        "| ours / ceiling |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rate = r["n"] / r["wall"]
        mine = ours.get((r["kind"], r["n"]))
        share = f"{mine / rate * 100:.0f} %" if mine else "-"
        out.append(
            f"| {r['kind']} | {r['lib']} | {r['n']} | {_f(r['wall'])} | {rate:.0f} | "
            f"{_f(mine, 0)} | {share} |"
        )
    return out


def probe_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| run | N | interval | seconds | checks | late p50 ms | p99 ms | max ms "
        "| healthy p99 ms | rounds | overruns | period error | CPU cores "
        "| CPU s/1000 checks | RSS MiB | threads |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        err = r.get("period_error_pct")
        out.append(
            f"| {r['name']} | {r['n']} | {r['interval']} | {r['wall']:.0f} | "
            f"{r['checks']} | {r['late_p50'] * 1000:.0f} | "
            f"{r['late_p99'] * 1000:.0f} | "
            f"{r['late_max'] * 1000:.0f} | {r['healthy_p99'] * 1000:.0f} | "
            f"{r['rounds']} | {r['overruns']} | "
            f"{'-' if err is None else f'{err:.2f} %'} | {r['cpu_cores']:.2f} | "
            f"{r['cpu_per_1000_checks']:.2f} | {r['rss_max_mib']:.0f} | "
            f"{r['threads_max']} |"
        )
    return out


def _log_grid(left: int, right: int, base: int, plot: int, scale: float) -> list[str]:
    """Return the lines and labels of a log-10 axis from ``base`` up ``plot`` px."""
    parts = []
    for dec in range(int(scale) + 1):
        y = base - plot * dec / scale
        parts.append(
            f'<line x1="{left}" x2="{right - 10}" y1="{y:.0f}" y2="{y:.0f}" '
            'stroke="#ddd"/>'
            f'<text x="{left - 5}" y="{y + 3:.0f}" text-anchor="end">{10**dec}</text>'
        )
    return parts


def svg(oneshot: list[dict[str, Any]], ceilings: list[dict[str, Any]]) -> str:
    """Grouped bars: checks/s per kind at each N, ours vs SimpleMonitor vs ceiling."""
    best_ceiling: dict[tuple[str, int], float] = {}
    for c in ceilings:
        key = (c["kind"], c["n"])
        best_ceiling[key] = max(best_ceiling.get(key, 0), c["n"] / c["wall"])
    groups = []
    for r in oneshot:
        sm = r["n"] / r["sm"]["wall"] if "sm" in r else 0
        ceil = best_ceiling.get((r["kind"], r["n"]), 0)
        groups.append((f"{r['kind']} {r['n']}", r["n"] / r["ours"]["wall"], sm, ceil))
    top = max((max(g[1:]) for g in groups), default=1)
    scale = math.log10(max(top, 10))
    w, h, left, bottom = 60 * len(groups) + 80, 320, 60, 60
    colours = ("#2b6cb0", "#c05621", "#718096")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="14" font-size="12">checks/s (log scale), whole process '
        "`-1`: ours (blue), SimpleMonitor 1.15 (orange), bare library (grey)</text>",
    ]
    plot = h - bottom - 30
    parts += _log_grid(left, w, h - bottom, plot, scale)
    for i, (label, *vals) in enumerate(groups):
        x0 = left + 10 + i * 60
        for j, v in enumerate(vals):
            if v <= 0:
                continue
            bh = plot * math.log10(max(v, 1)) / scale
            parts.append(
                f'<rect x="{x0 + j * 15}" y="{h - bottom - bh:.1f}" width="14" '
                f'height="{bh:.1f}" fill="{colours[j]}"><title>{v:.0f}/s</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + 22}" y="{h - bottom + 12}" text-anchor="end" '
            f'transform="rotate(-45 {x0 + 22} {h - bottom + 12})">{label}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def lateness_svg(probes: list[dict[str, Any]], sm: dict[str, Any] | None) -> str:
    """Bars of start lateness (log ms) per daemon run; SimpleMonitor's drift beside.

    SimpleMonitor waits ``interval`` after each round's work, so its k-th round
    starts (k - 1) x (round time - interval) after its due time; that figure is
    derived from its measured ``--loops`` wall time.
    """
    bars: list[tuple[str, list[tuple[str, float, str]]]] = []
    for r in probes:
        label = f"{r['name']} N={r['monitors']}"
        values = [
            ("p50", r["late_p50"] * 1000, "#90cdf4"),
            ("p99", r["late_p99"] * 1000, "#2b6cb0"),
            ("max", r["late_max"] * 1000, "#1a365d"),
        ]
        bars.append((label, values))
    if sm:
        drift = sm["wall"] / sm["loops"] - sm["interval"]
        late = (sm["loops"] - 1) * drift * 1000
        bars.append((f"SM round {sm['loops']} N=1000", [("start", late, "#c05621")]))
    top = max((v for _, vals in bars for _, v, _ in vals), default=10)
    scale = math.log10(max(top, 10))
    w, h, left, bottom = max(70 * len(bars) + 90, 660), 340, 60, 80
    plot = h - bottom - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="14" font-size="12">start lateness, ms (log scale): '
        "ours p50 / p99 / max (blues);</text>"
        f'<text x="{left}" y="30" font-size="12">SimpleMonitor (orange): how late its '
        "3rd round starts (its work is added to the interval)</text>",
    ]
    parts += _log_grid(left, w, h - bottom, plot, scale)
    for i, (label, values) in enumerate(bars):
        x0 = left + 10 + i * 70
        for j, (name, v, colour) in enumerate(values):
            bh = plot * math.log10(max(v, 1)) / scale
            parts.append(
                f'<rect x="{x0 + j * 18}" y="{h - bottom - bh:.1f}" width="16" '
                f'height="{bh:.1f}" fill="{colour}"><title>{name} {v:.0f} ms'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + 30}" y="{h - bottom + 12}" text-anchor="end" '
            f'transform="rotate(-40 {x0 + 30} {h - bottom + 12})">{label}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(results: dict[str, Any], doc: Path) -> None:
    m = results["machine"]
    lines = [
        BEGIN,
        "",
        f"Generated by `bench/run.py` ({' '.join(results.get('argv', []))}).",
        f"Machine: {m['cpus']} x {m['cpu']}, {m['mem_gib']} GiB, Python {m['python']},"
        f" kernel {m['kernel']}; load average at start {m['loadavg_start'][0]:.1f}, "
        f"at end {m['loadavg_end'][0]:.1f} (shared with other jobs).",
        "",
    ]
    if results.get("oneshot"):
        lines += ["### One round, whole process (`-1`), medians", ""]
        lines += [*oneshot_table(results["oneshot"]), ""]
        lines += [f"![checks per second]({CHART})", ""]
        (doc.parent / CHART).write_text(svg(results["oneshot"], results["ceilings"]))
    if results.get("ceilings"):
        lines += [
            "### Bare-library ceilings (whole process)",
            "",
            "requests, raw-http, tcp and dnspython run on 32 threads, icmplib one "
            "ping after another; tcp-select and icmp-socket are the floors: one "
            "thread, non-blocking sockets.",
            "",
        ]
        lines += [*ceiling_table(results["ceilings"], results.get("oneshot", [])), ""]
    probes = [
        r for key in ("period", "isolation", "sustained") for r in results.get(key, [])
    ]
    if probes:
        lines += ["### Daemon runs (bench/probe.py)", ""]
        lines += [*probe_table(probes), ""]
        lines += [f"![start lateness]({LATENESS_CHART})", ""]
        (doc.parent / LATENESS_CHART).write_text(
            lateness_svg(probes, results.get("sm_period"))
        )
        for r in probes:
            if r.get("alerting"):
                counts = ", ".join(f"{k} {v}" for k, v in sorted(r["outbox"].items()))
                lines += [
                    f"{r['name']}: an email alerter on a loopback server that accepts "
                    f"and never answers (5 s timeout); alert outbox at the end: "
                    f"{counts or 'empty'}.",
                    "",
                ]
    if results.get("sm_period"):
        p = results["sm_period"]
        lines += [
            f"SimpleMonitor daemon, 1,000 mixed, interval={p['interval']}, "
            f"--loops {p['loops']}: {p['wall']:.1f} s in all, "
            f"{p['wall'] / p['loops']:.1f} s per round.",
            "",
        ]
    lines.append(END)
    text = doc.read_text() if doc.exists() else "# Performance\n\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + "\n".join(lines) + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Benchmark results\n\n" + "\n".join(lines)
        text += "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "out" / "results.json"
    write(
        json.loads(source.read_text()),
        here.parent / "docs" / "performance.md",
    )
