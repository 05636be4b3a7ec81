"""Load the monitor sections: monitors.ini, the ``monitors_dir`` files and [defaults].

Kept apart from :mod:`simplemon.config` (monitor.ini, the alerters and loggers, the
whole Config) so that each stays small: monitors alone may come from many files,
whose sections are merged here, and take shared keys from a [defaults] section.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from simplemon import registry
from simplemon.common import IGNORED_MONITOR_KEYS, MainOptions, MonitorCommon
from simplemon.errors import ConfigError
from simplemon.ini import RawValue
from simplemon.options import option_fields, option_keys
from simplemon.section_keys import suggest
from simplemon.sections import Loader, PluginConfig


def _read_monitor_files(
    loader: Loader, main: MainOptions, main_path: Path
) -> dict[str, dict[str, RawValue]]:
    merged: dict[str, dict[str, RawValue]] = {}
    # `monitors = .` (relative paths start in monitor.ini's folder): no main
    # monitors file, only monitors_dir, as in SimpleMonitor.
    if main.monitors != main_path.parent:
        try:
            problem = (
                None
                if main.monitors.is_file()
                else "is a folder"
                if main.monitors.is_dir()
                else "does not exist"
            )
        except OSError as e:  # a folder on the way not searchable, a name too long
            problem = f"cannot be looked at: {e.strerror}"
        if problem is None:
            merged = loader.read(main.monitors)
        else:
            if not problem.startswith("cannot"):
                problem += "; expected the file defining the monitors"
            loader.errors.append(
                ConfigError(
                    problem,
                    file=str(main_path),
                    section="monitor",
                    key="monitors",
                    value=str(main.monitors),
                )
            )
    if main.monitors_dir is not None:
        _read_monitors_dir(loader, main.monitors_dir, main_path, merged)
    return merged


def _read_monitors_dir(
    loader: Loader,
    folder: Path,
    main_path: Path,
    merged: dict[str, dict[str, RawValue]],
) -> None:
    """Merge the folder's ``*.ini`` files, in sorted order, into ``merged``."""
    try:
        # Not glob(), which says nothing about a folder it cannot read.
        extras = sorted(
            p
            for p in folder.iterdir()
            if p.name.endswith(".ini") and not p.name.startswith(".")
        )
    except OSError as e:
        missing = isinstance(e, NotADirectoryError | FileNotFoundError)
        loader.errors.append(
            ConfigError(
                "is not a folder" if missing else f"cannot be looked at: {e.strerror}",
                file=str(main_path),
                section="monitor",
                key="monitors_dir",
                value=str(folder),
            )
        )
        return
    for extra in extras:
        for name, items in loader.read(extra).items():
            into = merged.setdefault(name, {})
            # A [DEFAULT] key of a later file never overrides a section's own key.
            into.update(
                (k, v)
                for k, v in items.items()
                if not (v.from_default and k in into and not into[k].from_default)
            )


def load_monitors(
    loader: Loader, main: MainOptions, main_path: Path
) -> tuple[PluginConfig, ...]:
    """Return every monitor that loaded; the others' errors go to ``loader``."""
    sections = _read_monitor_files(loader, main, main_path)
    defaults = sections.pop("defaults", {})
    _check_defaults(loader, defaults)
    loader.monitor_sections = set(sections)
    result = []
    keys_by_type: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for name, items in sections.items():
        type_raw = items.get("type")
        type_name = "" if type_raw is None else type_raw.text.strip()
        if type_name not in keys_by_type:
            keys_by_type[type_name] = _shared_keys(type_name)
        own, aliases = keys_by_type[type_name]
        merged = {k: v for k, v in defaults.items() if k in own} | {
            k: v for k, v in items.items() if not (v.from_default and k in aliases)
        }
        file = str(next(iter(items.values())).file) if items else str(main.monitors)
        monitor = loader.plugin("monitor", name, merged, file)
        if monitor is not None:
            result.append(monitor)
    return tuple(result)


def _shared_keys(type_name: str) -> tuple[frozenset[str], frozenset[str]]:
    """Return the keys [defaults] and [DEFAULT] may fill for a type, and its aliases.

    Shared keys fill an option under its own name only, never through an alias,
    as in SimpleMonitor, where each type read only its own names: a ``timeout``
    meant for http and tcp must not become a host monitor's ``ping_ttl`` through
    that type's ``timeout`` alias.
    """
    own = {f.key for f in option_fields(MonitorCommon)}
    every = set(own)
    if type_name in registry.MONITORS:
        fields = option_fields(registry.load("monitor", type_name).Options)
        own |= {f.key for f in fields}
        every |= {k for f in fields for k in f.keys}
    return frozenset(own), frozenset(every - own)


def _check_defaults(loader: Loader, defaults: Mapping[str, RawValue]) -> None:
    if not defaults:
        return  # loading every monitor class costs imports the config may not need
    accepted = set(option_keys(MonitorCommon) | IGNORED_MONITOR_KEYS)
    for _, cls in registry.known("monitor"):
        accepted |= option_keys(cls.Options)
    accepted.discard("type")
    for key, raw in defaults.items():
        if key not in accepted and not raw.from_default:
            suggestion = suggest(key, accepted)
            loader.errors.append(
                ConfigError(
                    f"option '{key}' is not accepted by any monitor type{suggestion}",
                    file=str(raw.file),
                    section="defaults",
                )
            )
