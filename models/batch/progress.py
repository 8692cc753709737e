"""A rich progress bar for batch runs: articles/s, quotes found, failures and ETA.

It draws only on a terminal: with ``--quiet``, or when stderr is a file or a
pipe (a cluster job's log), it stays silent apart from the failures it is told
to print, so logs hold no escape codes and no thousands of redraws.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from stancewire.models.schema import ArticleError

MAX_FAILURES_SHOWN = 20


class _RateColumn(ProgressColumn):
    """Articles per second over rich's moving window."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("– articles/s" if speed is None else f"{speed:,.1f} articles/s", style="cyan")


class RichProgress:
    """Implements the runner's ``Progress`` protocol with a rich bar on ``console``.

    Args:
        console: where to draw (stderr, so stdout stays clean for the summary).
        enabled: draw at all (the CLI passes ``not quiet``); a console that is
            not a terminal never draws.
        show_failures: print one line per failed article (the first
            :data:`MAX_FAILURES_SHOWN`, then a pointer to the errors file).
        errors_file: named in that pointer.
    """

    def __init__(
        self,
        console: Console,
        *,
        enabled: bool = True,
        show_failures: bool = True,
        errors_file: str = "the errors file",
    ) -> None:
        self.console = console
        self.show_failures = show_failures
        self.errors_file = errors_file
        self._failures = 0
        self._progress = Progress(
            TextColumn("labelling"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TextColumn("[bold]{task.fields[quotes]:,}[/] quotes"),
            TextColumn("{task.fields[failed_text]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=not (enabled and console.is_terminal),
            transient=False,
        )
        self._task: int | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, total: int | None, done: int, failed: int) -> None:
        self._task = self._progress.add_task(
            "labelling",
            total=total,
            completed=done,
            quotes=0,
            failed=failed,
            failed_text=self._failed_text(failed),
        )

    @staticmethod
    def _failed_text(n: int) -> str:
        return f"[red]{n:,} failed[/]" if n else ""

    def advance(self, articles: int, quotes: int, failed: int) -> None:
        if self._task is None:
            return
        task = self._progress.tasks[self._task]
        n_failed = task.fields["failed"] + failed
        self._progress.update(
            self._task,
            advance=articles,
            quotes=task.fields["quotes"] + quotes,
            failed=n_failed,
            failed_text=self._failed_text(n_failed),
        )

    def failure(self, error: ArticleError) -> None:
        self._failures += 1
        if not self.show_failures:
            return
        if self._failures <= MAX_FAILURES_SHOWN:
            self._progress.console.print(
                f"[red]skipped[/] {escape(error.id)}: \\[{error.code}] {escape(error.message)}",
                highlight=False,
            )
        elif self._failures == MAX_FAILURES_SHOWN + 1:
            self._progress.console.print(
                f"[red]…[/] more failures are recorded in {escape(self.errors_file)}"
            )
