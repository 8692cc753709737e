"""The per-article work of a batch run, shared by every engine.

The local engine (in-process or a pool of worker processes) and the Ray engine
(an actor pool) all call :func:`label_chunk` on a pipeline built from the same
:class:`PipelineSpec`, so the engines cannot drift apart: they differ only in
where the chunk runs, never in what happens to an article.

A *spec*, not a pipeline, crosses process boundaries: it is a few strings and
numbers, cheap to pickle, and each worker builds its pipeline from it once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from stancewire.models.errors import LabellingError, StancewireError
from stancewire.models.schema import Article, ArticleError, LabelledArticle

# Same value as ``stancewire.models.pipeline.DEFAULT_MAX_CHARS`` (a test checks);
# repeated here so that the batch driver need not import torch and spaCy.
DEFAULT_MAX_CHARS = 200_000

# Test hook: seconds to sleep before each chunk, so that a test can kill a run
# mid-way deterministically. Not for users; unset, it costs one dict lookup.
TEST_DELAY_ENV = "STANCEWIRE_TEST_CHUNK_DELAY"


class PipelineSpec(BaseModel):
    """Everything needed to build the same pipeline in another process or on another node.

    Attributes:
        model_dir: model directory (``None``: the bundled model). On a Ray
            cluster it must exist at this path on every node.
        batch_size: articles per spaCy / classifier batch.
        targets: targets to report (``None``: all the model's).
        max_chars: articles longer than this fail with ``SW102``.
        options: further keyword arguments for ``load_pipeline`` (e.g. a
            backend choice), passed through unchanged.
    """

    model_config = ConfigDict(frozen=True)

    model_dir: str | None = None
    batch_size: int = Field(default=16, ge=1)
    targets: tuple[str, ...] | None = None
    max_chars: int = Field(default=DEFAULT_MAX_CHARS, ge=1)
    options: dict[str, Any] = Field(default_factory=dict)

    def build(self) -> Any:
        """Load the pipeline and check the requested targets against it.

        Raises:
            ConfigError: a requested target is not one the model labels.
            ModelLoadError: the model cannot be loaded.
        """
        from stancewire.models.pipeline import load_pipeline

        pipeline = load_pipeline(
            self.model_dir, batch_size=self.batch_size, max_chars=self.max_chars, **self.options
        )
        # Validates the targets now, in the worker's constructor, rather than
        # turning a usage error into one failed record per article later.
        list(pipeline.pipe([], targets=self.targets))
        return pipeline


class Outcome(NamedTuple):
    """One article's result, ready to append to a journal.

    ``line`` is the JSON record (a ``LabelledArticle`` when ``ok``, else an
    ``ArticleError``), serialised in the worker so that the driver only writes.
    """

    id: str
    ok: bool
    line: str
    n_quotes: int


def _outcome(result: LabelledArticle | ArticleError) -> Outcome:
    if isinstance(result, LabelledArticle):
        return Outcome(result.id, True, result.model_dump_json(), len(result.quotes))
    return Outcome(result.id, False, result.model_dump_json(), 0)


def label_chunk(
    pipeline: Any, items: Sequence[Article | ArticleError], targets: Sequence[str] | None
) -> list[Outcome]:
    """Label a chunk: one outcome per item, in order, never raising for a bad article.

    Items that are already errors (unreadable input) pass through unchanged, so
    every engine writes the errors file in input order too. ``pipeline.pipe``
    turns bad articles into error records; should it fail on the chunk as a
    whole (a bug), each article is retried alone so that the one that triggers
    it is recorded (``SW500``) and the others are kept. Configuration errors
    (``StancewireError`` from the pipeline itself) propagate: they would fail
    every article the same way.
    """
    delay = os.environ.get(TEST_DELAY_ENV)
    if delay:
        time.sleep(float(delay))
    wanted = list(targets) if targets is not None else None
    articles = [item for item in items if isinstance(item, Article)]
    try:
        results = iter(list(pipeline.pipe(articles, targets=wanted)))
    except StancewireError:
        raise
    except Exception:  # noqa: BLE001 - isolate the article that breaks the chunk
        results = iter([_label_alone(pipeline, article, wanted) for article in articles])
    return [_outcome(item if isinstance(item, ArticleError) else next(results)) for item in items]


def _label_alone(
    pipeline: Any, article: Article, targets: list[str] | None
) -> LabelledArticle | ArticleError:
    try:
        (result,) = list(pipeline.pipe([article], targets=targets))
    except Exception as err:  # noqa: BLE001 - a bad article must not end the run
        result = ArticleError(
            id=article.id,
            source=article.source,
            code=LabellingError.code,
            message=f"internal error while labelling: {type(err).__name__}: {err}",
        )
    return result


class WorkerInitError(Exception):
    """A worker could not build its pipeline; carries the error code across processes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


# One pipeline per worker process, built by the pool initializer.
_PIPELINE: Any = None
_TARGETS: tuple[str, ...] | None = None
_INIT_ERROR: WorkerInitError | None = None


def init_worker(spec: PipelineSpec, threads: int) -> None:
    """Pool initializer: build this process's pipeline once.

    Ctrl-C is left to the parent (which stops the pool and closes the journal),
    and torch gets ``threads`` threads so N workers do not oversubscribe the CPU.
    A failure is kept and re-raised with its code on the first task, because an
    exception in an initializer only yields an opaque ``BrokenProcessPool``.
    """
    import signal

    import torch

    global _PIPELINE, _TARGETS, _INIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(max(1, threads))
    try:
        _PIPELINE = spec.build()
        _TARGETS = spec.targets
    except StancewireError as err:
        _INIT_ERROR = WorkerInitError(err.code, err.message)


def run_chunk(items: Sequence[Article | ArticleError]) -> list[Outcome]:
    """Pool task: label one chunk with this process's pipeline."""
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    return label_chunk(_PIPELINE, items, _TARGETS)
