"""Write one SimpleMonitor-syntax config (monitor.ini, monitors.ini) for both."""

from __future__ import annotations

from pathlib import Path

from targets import Targets

KINDS = ("null", "http", "tcp", "ping", "dns", "mixed", "hang", "pd", "pd-hang")
MIXED_CYCLE = ("http", "tcp", "ping", "dns")


def _section(kind: str, t: Targets, *, bad: str | None = None) -> dict[str, str]:
    """Options of one monitor; ``bad`` picks a slow, refused or hanging target."""
    if kind == "null":
        return {"type": "null"}
    if kind == "http":
        url = {"slow": t.slow_url, "hang": t.hang_url}.get(bad or "", t.url)
        return {"type": "http", "url": url, "timeout": "5"}
    if kind == "tcp":
        port = t.refused_port if bad == "refused" else t.http_port
        return {"type": "tcp", "host": "127.0.0.1", "port": str(port)}
    if kind == "ping":
        return {"type": "ping", "host": "127.0.0.1", "timeout": "2"}
    if kind == "dns":
        port = t.silent_dns_port if bad == "hang" else t.dns_port
        return {
            "type": "dns",
            "record": "web.example",
            "server": "127.0.0.1",
            "port": str(port),
            "desired_val": "127.0.0.1",
        }
    raise ValueError(kind)


def monitor_sections(kind: str, n: int, t: Targets) -> list[tuple[str, dict[str, str]]]:
    """Return ``n`` monitors of ``kind``.

    ``mixed``: http, tcp, ping, dns in turn; every 20th monitor (5 %) is bad,
    alternately an http URL that answers after 1 s and a tcp port that refuses.
    ``hang`` (isolation): the same mix, but the 5 % bad ones never answer (http
    /hang, a silent DNS port) and
    run into their timeout.
    """
    out = []
    for i in range(n):
        if kind in ("pd", "pd-hang"):
            # ping and dns only (while http/tcp are not merged): 5 % silent DNS in
            # pd-hang, all with a 2 s timeout.
            bad = kind == "pd-hang" and i % 20 == 19
            sub = "dns" if bad or i % 2 else "ping"
            opts = _section(sub, t, bad="hang" if bad else None)
            opts["timeout"] = "2"
            out.append((f"{'bad-' if bad else ''}{sub}-{i:05d}", opts))
            continue
        if kind in ("mixed", "hang"):
            sub = MIXED_CYCLE[i % 4]
            bad = None
            if i % 20 == 19:
                if kind == "mixed":
                    slow = ("http", "slow")
                    sub, bad = slow if i % 40 == 19 else ("tcp", "refused")
                else:
                    hang = ("http", "hang")
                    sub, bad = hang if i % 40 == 19 else ("dns", "hang")
            opts = _section(sub, t, bad=bad)
            if kind == "hang":
                opts["timeout"] = "2"
                if bad is not None:
                    sub = "bad-" + sub
        else:
            sub = kind
            opts = _section(kind, t)
        out.append((f"{sub}-{i:05d}", opts))
    return out


def write(
    folder: Path,
    kind: str,
    n: int,
    t: Targets,
    interval: int = 60,
    *,
    smtp_port: int | None = None,
) -> Path:
    """Write monitor.ini and monitors.ini into ``folder``; return monitor.ini's path.

    With ``smtp_port`` (ours only: SimpleMonitor's email options differ) every
    monitor alerts through an email alerter on that loopback port, plaintext, 5 s
    timeout; the state file starts empty so the first round's failures alert.
    """
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, opts in monitor_sections(kind, n, t):
        lines.append(f"[{name}]")
        lines += [f"{k} = {v}" for k, v in opts.items()]
        lines.append("")
    (folder / "monitors.ini").write_text("\n".join(lines))
    main = folder / "monitor.ini"
    text = f"[monitor]\ninterval = {interval}\nmonitors = {folder / 'monitors.ini'}\n"
    if smtp_port is not None:
        (folder / "simplemon-state.db").unlink(missing_ok=True)
        text += (
            "\n[reporting]\nalerters = mail\n\n[mail]\ntype = email\n"
            f"host = 127.0.0.1\nport = {smtp_port}\nssl = no\ntimeout = 5\n"
            "from = monitor@localhost\nto = root@localhost\ngroups = _all\n"
        )
    main.write_text(text)
    return main
