"""Checks across sections, made once every section has loaded.

A name in ``depend``, ``alerters`` or ``groups`` may point at any section of any
file; these checks report what points nowhere, or in a circle, all at once, and
warn about loggers that would write over each other's file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simplemon import registry
from simplemon.common import (
    AlerterCommon,
    LoggerCommon,
)
from simplemon.depgraph import find_cycle
from simplemon.errors import ConfigError
from simplemon.ini import RawValue
from simplemon.monitor import Monitor
from simplemon.section_keys import suggest
from simplemon.sections import Loader, PluginConfig


def check_references(
    loader: Loader,
    monitors: tuple[PluginConfig, ...],
    alerters: tuple[PluginConfig, ...],
    loggers: tuple[PluginConfig, ...],
) -> None:
    """Report ``depend`` names that are no monitor, and a dependency cycle.

    A dependency on a monitor whose own section failed to load is not reported
    again: its errors already are.
    """
    names = {m.name for m in monitors}
    graph: dict[str, tuple[str, ...]] = {}
    for m in monitors:
        graph[m.name] = m.common.depend
        _check_known(loader, m, names)
        for dep in m.common.depend:
            if dep == m.name:
                loader.errors.append(
                    ConfigError(
                        "a monitor cannot depend on itself",
                        file=m.file,
                        section=m.name,
                        key="depend",
                    )
                )
    cycle = find_cycle(
        {k: tuple(d for d in v if d in names and d != k) for k, v in graph.items()}
    )
    if cycle:
        first = next(m for m in monitors if m.name == cycle[0])
        loader.errors.append(
            ConfigError(
                "dependency cycle: " + " -> ".join(cycle),
                file=first.file,
                section=first.name,
                key="depend",
            )
        )
    for plugin in (*alerters, *loggers):
        _check_known(loader, plugin, names)


def _check_known(loader: Loader, plugin: PluginConfig, names: set[str]) -> None:
    """Report each name in the section's ``depend`` that is no monitor.

    A monitor whose own section failed to load is not reported again: its errors
    already are, and "no monitor of that name" would send the reader looking for
    a typo that is not there.
    """
    for dep in getattr(plugin.common, "depend", ()):
        if dep in names or dep in loader.monitor_sections:
            continue
        loader.errors.append(
            ConfigError(
                f"depends on {dep!r}, but there is no monitor of that name"
                + suggest(dep, names),
                file=plugin.file,
                section=plugin.name,
                key="depend",
            )
        )


def check_groups(
    loader: Loader,
    monitors: tuple[PluginConfig, ...],
    plugins: tuple[PluginConfig, ...],
) -> None:
    """Warn about an alerter or logger whose ``groups`` match no monitor at all.

    Such a plugin loads fine and then silently never alerts (or logs nothing):
    usually a typo in a group name, or an empty ``groups =``.
    """
    if not monitors:
        return
    present = {g for m in monitors for g in m.common.group.split(",")}
    shown = ", ".join(sorted(present)[:10]) + (", ..." if len(present) > 10 else "")
    for plugin in plugins:
        common = plugin.common
        if not isinstance(common, AlerterCommon | LoggerCommon):
            continue
        if "_all" not in common.groups and present.isdisjoint(common.groups):
            alerter = isinstance(common, AlerterCommon)
            what = "alerter never alerts" if alerter else "logger records no monitor"
            loader.warnings.append(
                f"{plugin.file}: [{plugin.name}] groups = "
                f"{', '.join(common.groups) or '(empty)'} matches no monitor, so this "
                f"{what} (groups in use: {shown}; _all matches every monitor)"
            )


#: Sections of monitor.ini that are no plugin.
_FIXED_SECTIONS = frozenset({"monitor", "reporting"})


def check_unlisted(
    loader: Loader,
    sections: Mapping[str, Mapping[str, RawValue]],
    alerters: tuple[str, ...],
    loggers: tuple[str, ...],
) -> None:
    """Warn about monitor.ini sections of an alerter or logger type never listed.

    Such a section loads nothing and says nothing: no mail is ever sent. Only the
    registry's tables of names are read; no plugin module is imported. A section
    whose own ``type`` is no alerter or logger type (or comes from [DEFAULT]) is
    left alone, as before.
    """
    listed = set(alerters) | set(loggers)
    for name, items in sections.items():
        raw = items.get("type")
        if name in _FIXED_SECTIONS or name in listed or raw is None:
            continue
        if raw.from_default:
            continue
        type_name = raw.text.strip()
        if type_name in registry.ALERTERS:
            kind = "alerter"
        elif type_name in registry.LOGGERS:
            kind = "logger"
        else:
            continue
        loader.warnings.append(
            f"{loader.path(str(raw.file))}: [{name}] type = {type_name} looks like "
            f"{'an' if kind == 'alerter' else 'a'} {kind}, but [reporting] {kind}s "
            "does not list it; it is not used"
        )


def check_shared_files(
    loader: Loader, loggers: tuple[PluginConfig, ...], state_file: Path | None = None
) -> None:
    """Warn about enabled loggers writing one output file: each spoils the other's.

    SimpleMonitor accepted this, so it stays a warning. Paths are compared as
    resolved (``./x.log`` and ``x.log``, a symlink and its target); each logger
    names its own files (``output_files``), so db and dbstatus may share one
    database. Nothing is opened or created. An output written into a logger's
    SQLite database (``database_files``) is warned about too; one written into
    the state file, or a logger's database there, is an error: SimpleMonitor had
    no state file, and a damaged one loses queued alerts.
    """
    seen: dict[str, tuple[PluginConfig, str]] = {}
    enabled = [p for p in loggers if p.common.enabled]
    for plugin in enabled:
        for key, path in plugin.plugin.output_files().items():
            real = os.path.realpath(path)
            first, _ = seen.setdefault(real, (plugin, key))
            if first is plugin:
                continue
            loader.warnings.append(
                f"{loader.path(plugin.file)}: [{plugin.name}] {key}: writes the same "
                f"file as [{first.name}] ({real}): "
                f"{_clash(first.plugin.output_kind, plugin.plugin.output_kind)}; "
                "give each logger its own file"
            )
    state = os.path.realpath(state_file) if state_file is not None else None
    for plugin in enabled:
        for key, path in plugin.plugin.database_files().items():
            real = os.path.realpath(path)
            if real == state:
                _state_file_error(loader, plugin, key, "")
            writer, writer_key = seen.get(real, (None, ""))
            if writer is not None:
                harm = _harm(writer.plugin.output_kind)
                loader.warnings.append(
                    f"{loader.path(writer.file)}: [{writer.name}] {writer_key}: "
                    f"writes into the SQLite database of [{plugin.name}] {key} "
                    f"({real}): {harm}; give each its own file"
                )
    for real, (writer, key) in seen.items():
        if real == state:
            _state_file_error(loader, writer, key, ", which writing would damage")


def _harm(kind: str) -> str:
    if kind == "lines":
        return "the lines appended to it damage that database"
    return "replacing it every round throws that database away"


def _state_file_error(
    loader: Loader, plugin: PluginConfig, key: str, harm: str
) -> None:
    loader.errors.append(
        ConfigError(
            f"is simplemon's own state file ([monitor] state_file){harm}; "
            "expected a file of its own",
            file=plugin.file,
            section=plugin.name,
            key=key,
        )
    )


def check_timeouts(
    loader: Loader, main_file: str, monitors: tuple[PluginConfig, ...], interval: float
) -> None:
    """Warn once about monitors whose check may take longer than the interval.

    A round waits for its slowest check, so while such a target hangs every
    monitor is checked only every ``timeout`` seconds, not every ``interval``.
    Valid (and SimpleMonitor took it), so one warning, not an error per monitor.
    """
    timed = [
        (seconds, m.name)
        for m in monitors
        if m.common.enabled and (seconds := _timeout(m.plugin)) is not None
    ]
    slow = sorted(((s, n) for s, n in timed if s > interval), key=lambda p: -p[0])
    if not slow:
        return
    shown = ", ".join(f"[{name}] {seconds:g}s" for seconds, name in slow[:5])
    more = f" and {len(slow) - 5} more" if len(slow) > 5 else ""
    count = "1 monitor" if len(slow) == 1 else f"{len(slow)} monitors"
    loader.warnings.append(
        f"{loader.path(main_file)}: [monitor] interval = {interval:g}s is shorter "
        f"than the timeout of {count} ({shown}{more}): while a target of theirs "
        "hangs, each round waits for it, so every monitor is checked only every "
        f"{slow[0][0]:g}s at worst; lengthen the interval or shorten those timeouts"
    )


def _timeout(plugin: Monitor[Any]) -> float | None:
    """Return a monitor's timeout in seconds; None for a type that has none."""
    if (
        type(plugin).timeout_seconds is Monitor.timeout_seconds
        and getattr(plugin.options, "timeout", None) is None
    ):
        return None  # (null, fail, and plugins that set no timeout)
    return plugin.timeout_seconds()


def _clash(first: str, second: str) -> str:
    """Say what becomes of a file written by loggers of these ``output_kind``s."""
    if first == second == "lines":
        return "their lines will interleave"
    if "lines" in (first, second):
        return (
            "one appends lines to the file the other replaces every round, so "
            "neither output is usable"
        )
    noun = "page" if first == second == "page" else "file"
    return (
        f"the {noun} is overwritten by each in turn and shows only one logger's results"
    )
