"""Run one monitor's check so that nothing it does can stop the round.

A plugin may raise, hand back something that is not a CheckResult, or put line
breaks in its message; the scheduler must still get one well-formed result per
check, whether the check ran as a non-blocking probe or on a worker thread.
"""

from __future__ import annotations

import re
import time

from simplemon.lazy_logging import get_logger
from simplemon.model import CheckResult
from simplemon.probe import Probe
from simplemon.probe_core import internal_error
from simplemon.record import replace
from simplemon.redact import redact
from simplemon.sections import PluginConfig

log = get_logger(__name__)

#: Longest check message kept (characters): an HTTP reason phrase or a DNS answer can
#: be tens of kilobytes of whatever the other side sent.
MESSAGE_LIMIT = 1000
# Whitespace plus C0/C1 controls (ESC, BEL, CSI…) and the Unicode line separators:
# anything a terminal, a log reader or a mail header could act on. Also bidi
# embeddings, overrides and isolates (which make a log line read backwards), the
# BOM, and lone surrogates (which no file or database encoding accepts).
# A string, compiled by re on first use: most messages never need it, and the
# start-up of `-1` and `-t` should not pay for it.
_CONTROLS = (
    r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    r"\ud800-\udfff]+"
)


def probe_of(monitor: PluginConfig) -> Probe | None:
    """Return the monitor's non-blocking probe, or None to run ``check()`` instead."""
    try:
        probe: Probe | None = monitor.plugin.probe()
    except Exception:
        log.exception("monitor %s: internal error making its probe", monitor.name)
        return None  # check() on a worker thread still gives a result
    return probe


def guarded_check(monitor: PluginConfig) -> CheckResult:
    """Run one check; an unexpected exception becomes a failed result, logged once."""
    started = time.monotonic()
    try:
        result: CheckResult = monitor.plugin.check()
    except Exception as e:
        log.exception("monitor %s: internal error in check", monitor.name)
        return internal_error(e, time.monotonic() - started)
    return result  # checked and put on one line by normalised()


def normalised(result: CheckResult) -> CheckResult:
    """Return ``result`` with its message on one safe line, however the check ran.

    Messages end up in one-line logs, terminals, alert subjects, commands and table
    cells: control characters become spaces, credentials are masked (see
    simplemon.redact) and the text is cut at MESSAGE_LIMIT. A probe that handed over
    something else than a CheckResult is an internal error.
    """
    if not isinstance(result, CheckResult):
        return CheckResult(False, "internal error: check returned no result")
    message = result.message
    # Fast path: printable (no control or separator character but the ASCII
    # space), no run of spaces and nothing to strip means nothing to replace.
    if not message.isprintable() or "  " in message or message != message.strip():
        message = re.sub(_CONTROLS, " ", message).strip()
    message = redact(message)
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    return result if message == result.message else replace(result, message=message)
