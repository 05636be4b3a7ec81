"""Type name → plugin class tables, imported lazily on first use.

Registration is these literal tables, never an import side effect; adding a plugin is
one line here, its module and its docs page.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any, Literal

from simplemon.errors import ConfigError

Kind = Literal["monitor", "alerter", "logger"]

MONITORS: dict[str, str] = {
    "null": "simplemon.monitors.null:NullMonitor",
    "fail": "simplemon.monitors.fail:FailMonitor",
    "dns": "simplemon.monitors.dns:DnsMonitor",
    "ping": "simplemon.monitors.ping:PingMonitor",
    "host": "simplemon.monitors.ping:HostMonitor",
    "http": "simplemon.monitors.http:HttpMonitor",
    "tcp": "simplemon.monitors.tcp:TcpMonitor",
}

ALERTERS: dict[str, str] = {
    "email": "alerters.email:EmailAlerter",
    "syslog": "alerters.syslog:SyslogAlerter",
    "execute": "alerters.execute:ExecuteAlerter",
}

LOGGERS: dict[str, str] = {
    "logfile": "loggers.logfile:LogfileLogger",
    "db": "loggers.db:DbLogger",
    "dbstatus": "loggers.dbstatus:DbstatusLogger",
    "html": "loggers.html:HtmlLogger",
    "json": "loggers.json:JsonLogger",
}

TABLES: dict[Kind, dict[str, str]] = {
    "monitor": MONITORS,
    "alerter": ALERTERS,
    "logger": LOGGERS,
}


@cache
def _import(target: str) -> Any:
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def load(kind: Kind, type_name: str) -> Any:
    """Return the plugin class for ``type_name``.

    Raises:
        ConfigError: for an unknown type, listing the valid ones.
    """
    table = TABLES[kind]
    target = table.get(type_name)
    if target is None:
        valid = ", ".join(sorted(table))
        raise ConfigError(
            f"unknown type {type_name!r}; valid {kind} types: {valid}", key="type"
        )
    return _import(target)


def known(kind: Kind) -> list[tuple[str, Any]]:
    """Return (type name, class) for every registered plugin of ``kind``, sorted."""
    return [(name, load(kind, name)) for name in sorted(TABLES[kind])]
