"""The ``html`` logger: a self-contained status page, regenerated once per round.

Rendered by Jinja2 with autoescaping on (monitored servers control the result text),
written atomically, no external resources and no JavaScript needed to read it.
"""

from __future__ import annotations

import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import jinja2

from loggers._history import History
from loggers._history_figures import WINDOWS, MonitorHistory
from loggers._page import PageRows
from loggers._sparkline import sparkline_svg
from loggers._status import (
    STATES,
    StatusView,
    format_age,
    format_moment,
    format_percent,
    paused_gc,
    status_view,
    stopped_view,
)
from loggers._upload import Upload
from simplemon import __version__
from simplemon.common import LoggerCommon
from simplemon.errors import DeliveryError
from simplemon.logger import ResultLogger
from simplemon.model import Snapshot
from simplemon.options import opt
from simplemon.paths import write_atomic, write_problem
from simplemon.record import record

TEMPLATE = "status.html.j2"
HISTORY_NAME = ".simplemon-history.db"


@record
class HtmlOptions:
    """Options of the html logger."""

    folder: Path = opt(Path("html"), help="folder the page is written to (created)")
    filename: str = opt("index.html", help="name of the page inside `folder`")
    navbar_title: str = opt("simplemon", help="title shown at the top of the page")
    visual_theme: Literal["auto", "light", "dark"] = opt(
        "auto", help="colours: `auto` follows the browser's light/dark setting"
    )
    source_folder: Path | None = opt(
        None, help=f"folder holding your own `{TEMPLATE}` Jinja2 template"
    )
    upload_command: str | None = opt(
        None,
        multiline=True,  # a long command may be wrapped (split as a shell would)
        help="command run after each write (split like a shell, never run by one), "
        "e.g. `rsync -a --exclude=.* html/ web:/srv/status/`",
    )
    upload_timeout: timedelta = opt(
        timedelta(seconds=60), min=timedelta(seconds=1), help="limit for upload_command"
    )
    history: Path | None = opt(
        None,
        help=f"SQLite file for availability and sparklines (default `{HISTORY_NAME}` "
        "in `folder`; may be a db logger's file)",
    )

    def __post_init__(self) -> None:
        if "/" in self.filename or self.filename in ("", ".", ".."):
            raise ValueError("filename must be a plain file name, e.g. index.html")
        if self.source_folder and not (self.source_folder / TEMPLATE).is_file():
            hint = ""
            if (self.source_folder / "status-template.html").is_file():
                hint = (
                    " (SimpleMonitor's status-template.html uses other variables: "
                    "drop source_folder, or start a template from loggers/templates/"
                    f"{TEMPLATE})"
                )
            raise ValueError(
                f"source_folder has no {TEMPLATE} in {self.source_folder}{hint}"
            )
        if self.upload_command is not None and not shlex.split(self.upload_command):
            raise ValueError("upload_command is empty")


def environment(source_folder: Path | None, tz: str) -> jinja2.Environment:
    """Return the Jinja2 environment: autoescaping on, our filters installed."""
    loader: jinja2.BaseLoader = (
        jinja2.FileSystemLoader(source_folder)
        if source_folder
        else jinja2.PackageLoader("loggers", "templates")
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = format_percent
    env.filters["age"] = format_age
    env.filters["moment"] = lambda moment: format_moment(moment, tz)
    env.filters["sparkline"] = sparkline_svg
    return env


class HtmlLogger(ResultLogger[HtmlOptions]):
    """Write a status page (HTML, no scripts or external files needed) every round."""

    type_name = "html"
    every_round = False  # the current status: only the latest round matters
    output_kind = "page"
    Options = HtmlOptions

    def __init__(
        self, name: str, options: HtmlOptions, common: LoggerCommon | None = None
    ) -> None:
        super().__init__(name, options, common)
        self.history = History(options.history or options.folder / HISTORY_NAME)
        self._env: jinja2.Environment | None = None
        self._rows = PageRows(self.common.tz)
        self._upload = (
            Upload(options.upload_command, options.upload_timeout.total_seconds())
            if options.upload_command
            else None
        )
        #: What the last page was rendered from, for the stopped page.
        self._last: tuple[Snapshot, dict[str, MonitorHistory]] | None = None

    def render(self, view: StatusView) -> str:
        """Return the page's HTML for ``view`` (reads only the template)."""
        if self._env is None:
            self._env = environment(self.options.source_folder, self.common.tz)
        template = self._env.get_template(TEMPLATE)
        return template.render(
            view=view,
            rows=self._rows.render(view),
            title=self.options.navbar_title,
            theme=self.options.visual_theme,
            windows=[label for label, _ in WINDOWS],
            states=STATES,
            version=__version__,
        )

    def write(self, snapshot: Snapshot) -> None:
        """Update history, render and replace the page, then run upload_command."""
        figures, problem = self.history.record_or_last(snapshot)
        self._last = snapshot, figures
        with paused_gc():
            # One expression: the view is freed before the collector resumes.
            page = self.render(status_view(snapshot, figures))
        self._publish(page)
        if self._upload is not None:
            self._upload.start()
        if problem is not None:
            raise problem  # after the page: this round's states are shown anyway

    def stopped(self, at: datetime) -> None:
        """Rewrite the last round's page saying the daemon stopped; upload it too.

        Rendered from what the last write rendered (the history is not read). A
        logger that never wrote a page writes none.
        """
        if self._last is None:
            return
        snapshot, figures = self._last
        with paused_gc():
            view = stopped_view(status_view(snapshot, figures), at, self.common.tz)
            page = self.render(view)
            del view
        self._publish(page)
        if self._upload is not None:
            try:  # the last round's upload first (one at a time), then this page's
                self._upload.close()
            finally:
                self._upload.start()

    def _publish(self, page: str) -> None:
        target = self.options.folder / self.options.filename
        try:
            self.options.folder.mkdir(parents=True, exist_ok=True)
            write_atomic(target, page)
        except OSError as e:
            raise DeliveryError(f"cannot write {target}: {e}") from e

    def close(self) -> None:
        """Close the history file; wait for a running upload (within its timeout)."""
        self.history.close()
        if self._upload is not None:
            self._upload.close()

    def closing_time(self) -> float:
        """Return how long ``stopped`` and ``close`` may wait for uploads.

        At a final stop the last round's upload may still run when the stopped
        page's starts: two of them, one after the other.
        """
        return 2 * self.options.upload_timeout.total_seconds() if self._upload else 0.0

    def problems(self) -> list[str]:
        """Say why the page could not be written (it is replaced via a temp file)."""
        target = self.options.folder / self.options.filename
        problem = write_problem(target, needs_folder=True)
        return [problem] if problem else []

    def output_files(self) -> dict[str, Path]:
        """Return the page replaced every round (not the shared history)."""
        return {"folder, filename": self.options.folder / self.options.filename}

    def database_files(self) -> dict[str, Path]:
        """Return the history database (shared with db loggers at will)."""
        return {"history": self.options.history or self.options.folder / HISTORY_NAME}

    def describe(self) -> str:
        """Summarise where the page goes."""
        return f"writing a status page to {self.options.folder / self.options.filename}"
