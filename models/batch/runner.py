"""Batch labelling: inputs -> chunks -> an engine -> journal -> output. The one driver loop.

What happens in a run:

1. The inputs are checked (a missing path fails before any model loads) and the
   output files are opened: a fresh run refuses to clobber an earlier one unless
   told (``overwrite``); ``resume`` repairs and reads the journal and the errors
   file and skips every id already in either.
2. Articles stream from :func:`stancewire.models.io.iter_articles` with ids made
   unique (:func:`~stancewire.models.io.unique_ids`); unreadable ones go
   straight to the errors file; the rest are cut into chunks of ``chunk_size``.
3. An engine labels the chunks with :func:`~stancewire.models.batch.worker.label_chunk`
   and hands the outcomes back *in input order*: :class:`LocalEngine` in this
   process or in a pool of worker processes, or
   :class:`~stancewire.models.batch.ray_engine.RayEngine` on Ray Data.
4. The driver appends each outcome, whole, to the journal (the output itself
   for JSONL) or to the errors file, then converts the journal to CSV or
   Parquet if the output asks for one.

Because only the driver writes, and only whole lines, a run killed at any point
can be resumed and ends with exactly one record per article.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stancewire.models.batch.formats import (
    convert,
    errors_path,
    iter_records,
    journal_path,
    output_format,
)
from stancewire.models.batch.journal import Journal
from stancewire.models.batch.worker import (
    Outcome,
    PipelineSpec,
    WorkerInitError,
    init_worker,
    label_chunk,
    run_chunk,
)
from stancewire.models.errors import ConfigError, StancewireError, error_for_code
from stancewire.models.io import Item, check_inputs, count_articles, iter_articles, unique_ids
from stancewire.models.schema import ArticleError, LabelledArticle

Engine = Literal["local", "ray"]


class BatchJob(BaseModel):
    """A batch run, as the CLI (or any caller) describes it.

    Attributes:
        inputs: files, directories, globs or ``-`` (see ``iter_articles``).
        output: ``.jsonl``, ``.csv`` or ``.parquet`` (the format follows the extension).
        errors: errors file (default ``OUT.errors.jsonl``).
        spec: how to build the pipeline in each worker.
        workers: worker processes (local) or actors (Ray).
        engine: ``local`` or ``ray``.
        chunk_size: articles per task (default: the pipeline batch size).
        resume: continue the run recorded in the output and errors files.
        overwrite: discard them and start over.
        text_column, id_column: fields of JSONL objects and table rows.
        ray_window: articles handed to Ray per dataset execution (bounds the
            driver's memory on huge corpora; each window starts the actor pool).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inputs: list[str]
    output: Path
    errors: Path | None = None
    spec: PipelineSpec = Field(default_factory=PipelineSpec)
    workers: int = Field(default=1, ge=1)
    engine: Engine = "local"
    chunk_size: int | None = Field(default=None, ge=1)
    resume: bool = False
    overwrite: bool = False
    text_column: str = "text"
    id_column: str | None = None
    ray_window: int = Field(default=50_000, ge=1)

    @model_validator(mode="after")
    def _check(self) -> BatchJob:
        if self.resume and self.overwrite:
            raise ConfigError("--resume and --overwrite exclude each other")
        output_format(self.output)  # fail on an unknown extension before any work
        return self

    @property
    def effective_chunk_size(self) -> int:
        return self.chunk_size or self.spec.batch_size

    @property
    def journal(self) -> Path:
        return journal_path(self.output)

    @property
    def errors_file(self) -> Path:
        return self.errors or errors_path(self.output)


class BatchSummary(BaseModel):
    """What a run did. Counts without a suffix are this run's; ``*_before`` were
    found on resume."""

    output: Path
    journal: Path
    errors: Path | None
    labelled: int = 0
    failed: int = 0
    quotes: int = 0
    done_before: int = 0
    failed_before: int = 0
    dropped_bytes: int = 0
    elapsed_s: float = 0.0
    sample: list[LabelledArticle] = Field(default_factory=list)

    @property
    def total_failed(self) -> int:
        """Failed articles in the errors file after the run (earlier runs included)."""
        return self.failed + self.failed_before


class Progress(Protocol):
    """What the driver reports while it runs (the CLI draws a progress bar from it)."""

    def start(self, total: int | None, done: int, failed: int) -> None:
        """``total`` articles expected (``None``: unknown); ``done`` of them were done
        before (on resume), ``failed`` of those failed."""

    def advance(self, articles: int, quotes: int, failed: int) -> None:
        """``articles`` more were finished, with that many quotes and failures."""

    def failure(self, error: ArticleError) -> None:
        """An article failed."""


class NullProgress:
    """Reports nothing."""

    def start(self, total: int | None, done: int, failed: int) -> None:
        pass

    def advance(self, articles: int, quotes: int, failed: int) -> None:
        pass

    def failure(self, error: ArticleError) -> None:
        pass


class ChunkEngine(Protocol):
    """Labels chunks of articles; yields one outcome list per chunk, in input order."""

    def __enter__(self) -> ChunkEngine: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def map(self, chunks: Iterable[list[Item]]) -> Iterator[list[Outcome]]: ...


class LocalEngine:
    """Label chunks in this process (``workers=1``) or in a pool of worker processes.

    With ``workers=1`` an already loaded ``pipeline`` may be given (a server or
    a test that has one); it must match ``spec``. Each worker process builds its
    pipeline once, in the pool initializer. At
    most ``2 * workers`` chunks are in flight, so memory stays flat however
    large the corpus; results come back in submission (input) order.
    Processes are *spawned*, not forked: forking a parent that has started
    torch threads can deadlock.
    """

    def __init__(self, spec: PipelineSpec, workers: int = 1, *, pipeline: Any = None) -> None:
        self.spec = spec
        self.workers = workers
        self._given = pipeline
        self._pipeline: Any = None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> LocalEngine:
        if self.workers == 1:
            self._pipeline = self._given if self._given is not None else self.spec.build()
            return self
        import multiprocessing

        threads = max(1, (os.cpu_count() or 1) // self.workers)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(self.spec, threads),
        )
        # An empty chunk makes a worker report a model that fails to load now,
        # before any input is read, rather than on the first real chunk.
        self._result(self._pool.submit(run_chunk, []))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            if exc_type is not None:
                _terminate_workers(self._pool)  # Ctrl-C or an error: do not finish chunks
            self._pool.shutdown(wait=exc_type is None, cancel_futures=True)
            self._pool = None
        if self._pipeline is not None and self._pipeline is not self._given:
            self._pipeline.close()  # a parse pool's processes (--parse-processes)
        self._pipeline = None

    def map(self, chunks: Iterable[list[Item]]) -> Iterator[list[Outcome]]:
        if self._pool is None:
            for chunk in chunks:
                yield label_chunk(self._pipeline, chunk, self.spec.targets)
            return
        in_flight: deque[Future[list[Outcome]]] = deque()
        try:
            for chunk in chunks:
                in_flight.append(self._pool.submit(run_chunk, chunk))
                if len(in_flight) >= 2 * self.workers:
                    yield self._result(in_flight.popleft())
            while in_flight:
                yield self._result(in_flight.popleft())
        finally:
            for fut in in_flight:
                fut.cancel()

    @staticmethod
    def _result(fut: Future[list[Outcome]]) -> list[Outcome]:
        try:
            return fut.result()
        except WorkerInitError as err:
            raise error_for_code(err.code, err.message) from None
        except BrokenProcessPool as err:
            raise StancewireError(
                "a worker process died (out of memory?); every finished article is "
                "saved: run again with --resume to continue"
            ) from err


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: chunks in progress are labelled again on --resume anyway.

    ``ProcessPoolExecutor.terminate_workers`` exists from Python 3.14; before
    that the processes are only reachable through a private attribute.
    """
    terminate = getattr(pool, "terminate_workers", None)
    if callable(terminate):
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def make_engine(job: BatchJob) -> ChunkEngine:
    """The engine the job asks for."""
    if job.engine == "ray":
        from stancewire.models.batch.ray_engine import RayEngine

        return RayEngine(
            job.spec,
            workers=job.workers,
            chunk_size=job.effective_chunk_size,
            window=job.ray_window,
        )
    return LocalEngine(job.spec, workers=job.workers)


def _count_records(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def _check_existing(job: BatchJob) -> None:
    """Refuse to overwrite an earlier run's results unless asked to.

    Hours of labelling should not vanish because a command was re-run without
    ``--resume``; the message says how to continue or start over.
    """
    if job.resume or job.overwrite:
        return
    found = [
        p
        for p in dict.fromkeys((job.journal, job.output, job.errors_file))
        if p.exists() and p.stat().st_size > 0
    ]
    if found:
        n = _count_records(job.journal) if job.journal.exists() else 0
        raise ConfigError(
            f"{found[0]} already exists"
            + (f" ({n} labelled article(s))" if n else "")
            + ": add --resume to continue that run, or --overwrite to start over"
        )


def _record_targets(journal: Path) -> list[str]:
    """The targets the records were labelled for, read from the first quote."""
    for record in iter_records(journal):
        for quote in record.get("quotes", []):
            return list(quote.get("stance", {}))
        for speaker in record.get("speakers", []):
            return list(speaker.get("stance", {}))
    return []


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run_batch(
    job: BatchJob,
    *,
    progress: Progress | None = None,
    sample_size: int = 0,
    engine: ChunkEngine | None = None,
) -> BatchSummary:
    """Run a batch job to the end; see the module docstring for what that means.

    Args:
        progress: receives counts as articles finish (e.g. a progress bar).
        sample_size: keep the first this many labelled articles in the summary
            (the CLI prints per-speaker tables for small runs).
        engine: a ready engine (tests); default :func:`make_engine`.

    Raises:
        InputError: an input does not exist (before any model loads).
        ConfigError: an earlier run's files are in the way, an unknown output
            extension, or targets the model does not know.
        ModelLoadError: the model cannot be loaded.
    """
    progress = progress or NullProgress()
    started = time.perf_counter()
    check_inputs(job.inputs)
    _check_existing(job)
    fmt = output_format(job.output)
    summary = BatchSummary(output=job.output, journal=job.journal, errors=job.errors_file)
    own_files = [job.output, job.journal, job.errors_file]

    # The model loads first: a run that cannot start leaves no files behind.
    with engine or make_engine(job) as eng:
        if fmt != "jsonl":
            # The CSV / Parquet file appears only when a run completes; its
            # journal is the record of a run in progress.
            job.output.unlink(missing_ok=True)
        with (
            Journal(job.journal, resume=job.resume) as out_journal,
            Journal(job.errors_file, resume=job.resume) as err_journal,
        ):
            summary.done_before = len(out_journal.ids)
            summary.failed_before = len(err_journal.ids)
            summary.dropped_bytes = out_journal.dropped_bytes + err_journal.dropped_bytes
            done = out_journal.ids | err_journal.ids
            total = (
                None
                if "-" in job.inputs
                else count_articles(job.inputs, text_column=job.text_column, exclude=own_files)
            )
            progress.start(
                total, summary.done_before + summary.failed_before, summary.failed_before
            )
            items = unique_ids(
                iter_articles(
                    job.inputs,
                    text_column=job.text_column,
                    id_column=job.id_column,
                    max_chars=job.spec.max_chars,
                    exclude=own_files,
                )
            )

            pending = (item for item in items if item.id not in done)

            for outcomes in eng.map(_chunks(pending, job.effective_chunk_size)):
                quotes = failed = 0
                for outcome in outcomes:
                    if outcome.ok:
                        out_journal.append(outcome.line)
                        quotes += outcome.n_quotes
                        if len(summary.sample) < sample_size:
                            summary.sample.append(LabelledArticle.model_validate_json(outcome.line))
                    else:
                        err_journal.append(outcome.line)
                        failed += 1
                        progress.failure(ArticleError.model_validate_json(outcome.line))
                summary.labelled += len(outcomes) - failed
                summary.failed += failed
                summary.quotes += quotes
                progress.advance(len(outcomes), quotes, failed)

    if summary.total_failed == 0:
        job.errors_file.unlink(missing_ok=True)
        summary.errors = None
    if fmt != "jsonl":
        targets = list(job.spec.targets or []) or _record_targets(job.journal)
        convert(job.journal, job.output, targets)
    summary.elapsed_s = time.perf_counter() - started
    return summary
