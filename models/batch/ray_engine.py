"""The Ray Data engine: the same chunks, labelled by an actor pool on a Ray cluster.

The plan per window of articles is read -> ``map_batches`` -> results:

- *read*: the driver reads the inputs with the same reader as the local engine
  (same ids, same error records, same resume skipping) and hands a window of
  articles to Ray as a dataset;
- *map_batches*: :class:`LabelActor`, an actor pool of ``workers`` actors, each
  holding one pipeline built from the :class:`PipelineSpec`, runs
  :func:`~stancewire.models.batch.worker.label_chunk`, the very function the
  local engine runs;
- *results*: streamed back to the driver in input order (``preserve_order``),
  which appends them to the journal: one writer, so the crash-safety and
  exactly-once guarantees of the local engine hold unchanged.

Ray starts locally with ``num_cpus=workers`` unless ``RAY_ADDRESS`` names a
cluster to join; a Ray instance this engine started is shut down at the end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from stancewire.models.batch.worker import Outcome, PipelineSpec, label_chunk
from stancewire.models.errors import ConfigError
from stancewire.models.io import Item
from stancewire.models.schema import Article, ArticleError


class LabelActor:
    """A Ray Data actor: builds the pipeline once, then labels batches of articles."""

    def __init__(self, spec: PipelineSpec) -> None:
        import torch

        torch.set_num_threads(1)  # one CPU per actor (num_cpus=1)
        self.spec = spec
        self.pipeline = spec.build()

    def __call__(self, batch: Any) -> Any:
        """A pyarrow batch of input rows -> ``id, ok, line, n_quotes`` rows."""
        import pyarrow as pa

        outcomes = label_chunk(self.pipeline, _items(batch), self.spec.targets)
        return pa.table(
            {
                "id": pa.array([o.id for o in outcomes], pa.string()),
                "ok": pa.array([o.ok for o in outcomes], pa.bool_()),
                "line": pa.array([o.line for o in outcomes], pa.large_string()),
                "n_quotes": pa.array([o.n_quotes for o in outcomes], pa.int64()),
            }
        )


def _input_schema() -> Any:
    """Rows handed to Ray: an article, or (``error`` set) an input that could not be read."""
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("text", pa.large_string()),
            ("source", pa.string()),
            ("error", pa.string()),
        ]
    )


def _row(item: Item) -> dict[str, Any]:
    if isinstance(item, ArticleError):
        return {"id": item.id, "text": None, "source": item.source, "error": item.model_dump_json()}
    return {"id": item.id, "text": item.text, "source": item.source, "error": None}


def _items(batch: Any) -> list[Item]:
    return [
        ArticleError.model_validate_json(r["error"])
        if r["error"] is not None
        else Article(id=r["id"], text=r["text"], source=r["source"])
        for r in batch.to_pylist()
    ]


def _windows(chunks: Iterable[list[Item]], size: int) -> Iterator[list[Item]]:
    window: list[Item] = []
    for chunk in chunks:
        window.extend(chunk)
        if len(window) >= size:
            yield window
            window = []
    if window:
        yield window


_QUIET_CONTEXT = ("enable_progress_bars", "print_on_execution_start", "enable_auto_log_stats")
_RAY_LOGGERS = ("ray", "ray.data")


class RayEngine:
    """Label chunks with Ray Data (see the module docstring).

    Args:
        spec: how each actor builds its pipeline.
        workers: actors in the pool; also ``num_cpus`` of a local Ray instance.
        chunk_size: rows per ``map_batches`` batch.
        window: articles per dataset execution. The driver holds one window in
            memory; each window starts the actor pool (loading the model) anew,
            so it should take minutes, not seconds, to label.
    """

    def __init__(
        self, spec: PipelineSpec, *, workers: int = 1, chunk_size: int = 16, window: int = 50_000
    ) -> None:
        self.spec = spec
        self.workers = workers
        self.chunk_size = chunk_size
        self.window = window
        self._started_ray = False
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> RayEngine:
        try:
            import ray
            from ray.data import DataContext
        except ImportError as err:
            raise ConfigError("--engine ray needs Ray Data: pip install 'stancewire[ray]'") from err
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS") or None
            ray.init(
                address=address,
                num_cpus=None if address else self.workers,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.ERROR,
                configure_logging=True,
            )
            self._started_ray = True
        # Results in input order, and no output of Ray's own (the CLI draws its
        # progress bar); what is changed here is put back on exit.
        ctx = DataContext.get_current()
        self._saved = {
            "preserve_order": ctx.execution_options.preserve_order,
            **{name: getattr(ctx, name) for name in _QUIET_CONTEXT},
            **{f"log:{name}": logging.getLogger(name).level for name in _RAY_LOGGERS},
        }
        ctx.execution_options.preserve_order = True
        for name in _QUIET_CONTEXT:
            setattr(ctx, name, False)
        for name in _RAY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        import ray
        from ray.data import DataContext

        ctx = DataContext.get_current()
        ctx.execution_options.preserve_order = self._saved.pop("preserve_order")
        for key, value in self._saved.items():
            if key.startswith("log:"):
                logging.getLogger(key[4:]).setLevel(value)
            else:
                setattr(ctx, key, value)
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    def map(self, chunks: Iterable[list[Item]]) -> Iterator[list[Outcome]]:
        import pyarrow as pa
        import ray

        for window in _windows(chunks, self.window):
            table = pa.Table.from_pylist([_row(item) for item in window], schema=_input_schema())
            # One block per chunk: each map_batches call then gets exactly the
            # chunk the local engine would label, and the blocks spread over the pool.
            blocks = [
                table.slice(i, self.chunk_size) for i in range(0, len(window), self.chunk_size)
            ]
            results = ray.data.from_arrow(blocks).map_batches(
                LabelActor,
                fn_constructor_kwargs={"spec": self.spec},
                batch_size=self.chunk_size,
                batch_format="pyarrow",
                # No more actors than blocks: a small window needs fewer models loaded.
                concurrency=min(self.workers, len(blocks)),
                num_cpus=1,
            )
            for batch in results.iter_batches(batch_size=None, batch_format="pyarrow"):
                yield [
                    Outcome(r["id"], r["ok"], r["line"], r["n_quotes"]) for r in batch.to_pylist()
                ]
