# mypy: ignore-errors
# (runs under /opt/smvenv: SimpleMonitor and arrow are not installed here)
"""Drive SimpleMonitor 1.15 through scripted outage histories (run with its python).

Run as ``/opt/smvenv/bin/python tests/peers/sm_driver.py < cases.json``: it reads a
JSON list of cases (see tests/peers/sm_diff.py), and for each one writes a
monitor.ini / monitors.ini naming two plugin types registered here (``scripted``: a
monitor whose outcome per round comes from the case; ``recorder``: an alerter that
asks SimpleMonitor's own ``should_alert`` and notes the answer), then runs
SimpleMonitor's own round (``run_loop``) once per round on a clock this script moves.
It prints one JSON object per case: the alerts decided, and which monitors ran and
were skipped in each round.

This file imports SimpleMonitor, never simplemon, and contains none of its code.
"""

from __future__ import annotations

import datetime as real_datetime
import json
import logging
import sys
import tempfile
import types
from pathlib import Path
from typing import Any, ClassVar

import arrow
from simplemonitor import simplemonitor as sm_main
from simplemonitor.Alerters import alerter as sm_alerter
from simplemonitor.Monitors import monitor as sm_monitor


class Clock:
    """The one notion of now every patched SimpleMonitor module reads."""

    now = real_datetime.datetime(2026, 1, 5, 12, 0, tzinfo=real_datetime.UTC)


class _FakeDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        moment = Clock.now if tz is not None else Clock.now.replace(tzinfo=None)
        return moment.astimezone(tz) if tz is not None else moment

    @classmethod
    def utcnow(cls) -> Any:
        return Clock.now.replace(tzinfo=None)


def _arrow_utcnow() -> Any:
    return arrow.Arrow.fromdatetime(Clock.now)


def _arrow_now(tz: Any = None) -> Any:
    return arrow.Arrow.fromdatetime(Clock.now).to(tz or "local")


def _timestamp() -> float:
    return Clock.now.timestamp()


def patch_clock() -> None:
    """Point SimpleMonitor's clocks (arrow, datetime.now, time.time) at Clock."""
    arrow.utcnow = _arrow_utcnow
    arrow.now = _arrow_now
    fake_dt = types.SimpleNamespace(**vars(real_datetime))
    fake_dt.datetime = _FakeDatetime
    sm_alerter.datetime = fake_dt
    fake_time = types.SimpleNamespace(time=_timestamp)
    sm_monitor.time = fake_time


class World:
    """What the current case scripts, and what this round saw."""

    outcome: ClassVar[dict[str, bool]] = {}
    ran: ClassVar[set[str]] = set()
    skipped: ClassVar[set[str]] = set()
    alerts: ClassVar[list[list[Any]]] = []
    round = 0


@sm_monitor.register
class ScriptedMonitor(sm_monitor.Monitor):
    monitor_type = "scripted"

    def run_test(self) -> bool:
        World.ran.add(self.name)
        if World.outcome[self.name]:
            return self.record_success("fine")
        return self.record_fail("down")

    def record_skip(self, which_dep: Any) -> bool:
        if which_dep is not None:  # not run for ``gap`` is no skip
            World.skipped.add(self.name)
        return bool(super().record_skip(which_dep))

    def describe(self) -> str:
        return "scripted"

    def get_params(self) -> tuple[Any, ...]:
        return ()


@sm_alerter.register
class RecorderAlerter(sm_alerter.Alerter):
    alerter_type = "recorder"

    def __init__(self, config_options: dict[str, Any]) -> None:
        super().__init__(config_options)
        self.support_catchup = True

    def send_alert(self, name: str, monitor: Any) -> None:
        kind = self.should_alert(monitor)
        if kind != sm_alerter.AlertType.NONE:
            World.alerts.append([World.round, self.name, name, kind.value])

    def _describe_action(self) -> str:
        return "records"


def _ini(sections: dict[str, dict[str, str]]) -> str:
    lines = []
    for name, items in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {v}" for k, v in items.items())
        lines.append("")
    return "\n".join(lines)


def run_case(case: dict[str, Any], folder: Path) -> dict[str, Any]:
    monitors_ini = folder / "monitors.ini"
    monitors_ini.write_text(
        _ini({m["name"]: m["options"] for m in case["monitors"]}), encoding="utf-8"
    )
    main = {
        "monitor": {"interval": str(case["interval"]), "monitors": str(monitors_ini)},
        "reporting": {"alerters": ",".join(a["name"] for a in case["alerters"])},
    }
    main.update({a["name"]: a["options"] for a in case["alerters"]})
    monitor_ini = folder / "monitor.ini"
    monitor_ini.write_text(_ini(main), encoding="utf-8")
    Clock.now = real_datetime.datetime.fromisoformat(case["start"])
    World.alerts = []
    sm = sm_main.SimpleMonitor(monitor_ini, max_workers=1)
    ran, skipped, reset = [], [], []
    for r in range(case["rounds"]):
        World.round = r
        World.outcome = {m["name"]: m["outcomes"][r] for m in case["monitors"]}
        World.ran, World.skipped = set(), set()
        counts = {n: m.error_count for n, m in sm.monitors.items()}
        sm.run_loop()
        ran.append(sorted(World.ran))
        skipped.append(sorted(World.skipped))
        # A skip that reset a failure count (SimpleMonitor #786).
        reset.append(
            sorted(
                n
                for n, m in sm.monitors.items()
                if counts[n] > 0 and m.error_count == 0 and n not in World.ran
            )
        )
        # SimpleMonitor sleeps ``interval`` after a round's work, so its rounds are
        # always a little more than ``interval`` apart: say a millisecond of work.
        Clock.now += real_datetime.timedelta(seconds=case["interval"], milliseconds=1)
    return {"alerts": World.alerts, "ran": ran, "skipped": skipped, "reset": reset}


def main() -> None:
    patch_clock()
    logging.disable(logging.CRITICAL)
    cases = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            out.append(run_case(case, Path(tmp)))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
