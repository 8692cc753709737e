"""Dynamic micro-batching across callers, the way TEI, Triton and Ray Serve do it.

Why: the pipeline labels 8 articles in about the time it labels 2 (spaCy's
``pipe`` and one classifier call per batch amortise per-call overhead), so
requests that arrive together should share a model call instead of queueing
one by one.

How: callers put items on a *bounded* asyncio queue and await a future each.
One background task takes the first waiting item, then keeps collecting until
it has ``max_batch`` items or ``max_wait_ms`` has passed, and runs the
CPU-bound ``process`` function in a worker thread (never on the event loop,
which keeps answering health checks and queueing work meanwhile). Each
caller's future is resolved with its own result, or its own exception.

Back-pressure rather than piling up: when the queue cannot take a request's
items, :meth:`MicroBatcher.submit_many` raises :class:`QueueFullError`
at once (the server answers 503 with ``Retry-After``); a caller that waits
longer than its timeout gets ``TimeoutError`` (504) and its items are dropped
from any batch not yet started. ``max_batch=1`` turns batching off, so
benchmarks can compare.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

logger = logging.getLogger("stancewire.api.batcher")

T = TypeVar("T")
R = TypeVar("R")


class QueueFullError(Exception):
    """The queue has no room for the request's items; retry later."""


class BatcherStoppedError(Exception):
    """The batcher is not running (not started yet, or shutting down)."""


class BatchObserver(Protocol):
    """Where a batcher reports what it does (the server's Prometheus metrics)."""

    def batch_done(self, size: int, seconds: float) -> None: ...
    def depth_changed(self, depth: int) -> None: ...
    def rejected(self, n_items: int) -> None: ...
    def timed_out(self, n_items: int) -> None: ...


@dataclass
class BatcherStats:
    """Plain counters, always kept (tests and logs read them without Prometheus)."""

    batches: int = 0
    items: int = 0
    largest_batch: int = 0
    rejected: int = 0
    timed_out: int = 0
    sizes: list[int] = field(default_factory=list)


@dataclass
class _Work(Generic[T, R]):
    item: T
    future: asyncio.Future[R]


class MicroBatcher(Generic[T, R]):
    """Collects items from concurrent callers into batches for ``process``.

    Args:
        process: called in ``executor`` with a list of items; returns one result
            per item, in order. A result that is an exception instance fails
            only that item's caller; raising fails the whole batch.
        name: label for logs and metrics (``label``, ``classify``).
        max_batch: most items per ``process`` call (1: no batching).
        max_wait_ms: how long to wait for more items after the first.
        queue_size: most items waiting; beyond it, :class:`QueueFullError`.
        executor: where ``process`` runs; ``None`` is asyncio's default pool.
            Share one single-thread executor between batchers so that model
            calls never overlap and fight over the CPU cores.
        observer: optional metrics sink.
    """

    def __init__(
        self,
        process: Callable[[list[T]], Sequence[R | BaseException]],
        *,
        name: str,
        max_batch: int,
        max_wait_ms: float,
        queue_size: int,
        executor: Executor | None = None,
        observer: BatchObserver | None = None,
    ) -> None:
        if max_batch < 1 or queue_size < 1 or max_wait_ms < 0:
            raise ValueError("max_batch and queue_size must be >= 1, max_wait_ms >= 0")
        self.process = process
        self.name = name
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.queue_size = queue_size
        self.executor = executor
        self.observer = observer
        self.stats = BatcherStats()
        self._queue: asyncio.Queue[_Work[T, R]] | None = None
        self._task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def depth(self) -> int:
        """Items waiting (not counting a batch being processed)."""
        return self._queue.qsize() if self._queue is not None else 0

    async def start(self) -> None:
        """Create the queue and the worker task on the running event loop."""
        if self.running:
            return
        self._queue = asyncio.Queue(maxsize=self.queue_size)
        self._task = asyncio.create_task(self._worker(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        """Stop the worker; callers still waiting get :class:`BatcherStoppedError`."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        if self._queue is not None:
            while not self._queue.empty():
                work = self._queue.get_nowait()
                if not work.future.done():
                    work.future.set_exception(BatcherStoppedError("server is shutting down"))
            self._report_depth()

    # ------------------------------------------------------------------ callers

    async def submit(self, item: T, *, timeout: float) -> R:
        """Queue one item and wait for its result (raises the item's exception)."""
        (result,) = await self.submit_many([item], timeout=timeout)
        if isinstance(result, BaseException):
            raise result
        return result

    async def submit_many(self, items: Sequence[T], *, timeout: float) -> list[R | BaseException]:
        """Queue several items (all or none) and wait for all their results.

        Returns each item's result, or the exception for that item.

        Raises:
            QueueFullError: the queue has no room for all the items.
            TimeoutError: the results did not all arrive within ``timeout`` s.
            BatcherStoppedError: the batcher is not running.
        """
        if not self.running or self._queue is None:
            raise BatcherStoppedError(f"the {self.name} batcher is not running")
        if not items:
            return []
        free = self.queue_size - self._queue.qsize()
        if len(items) > free:
            self.stats.rejected += len(items)
            if self.observer:
                self.observer.rejected(len(items))
            raise QueueFullError(
                f"the {self.name} queue is full ({self.queue_size - free} of "
                f"{self.queue_size} items waiting)"
            )
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[R]] = []
        for item in items:  # no await in between: all or none are queued
            future: asyncio.Future[R] = loop.create_future()
            self._queue.put_nowait(_Work(item, future))
            futures.append(future)
        self._report_depth()
        try:
            async with asyncio.timeout(timeout):
                return list(await asyncio.gather(*futures, return_exceptions=True))
        except TimeoutError:
            pending = sum(f.cancelled() or not f.done() for f in futures)
            self.stats.timed_out += pending
            if self.observer:
                self.observer.timed_out(pending)
            raise
        finally:
            for f in futures:  # a timed-out or cancelled caller: skip its items
                if not f.done():
                    f.cancel()

    # ------------------------------------------------------------------ worker

    def _report_depth(self) -> None:
        if self.observer:
            self.observer.depth_changed(self.depth)

    async def _collect(self) -> list[_Work[T, R]]:
        """Wait for one item, then gather more until full or ``max_wait`` is up."""
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        batch = [await self._queue.get()]
        deadline = loop.time() + self.max_wait
        while len(batch) < self.max_batch:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    batch.append(await self._queue.get())
            except TimeoutError:
                break
        self._report_depth()
        return batch

    async def _worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            live = [w for w in batch if not w.future.done()]
            if not live:
                continue
            started = time.perf_counter()
            try:
                results = await loop.run_in_executor(
                    self.executor, self.process, [w.item for w in live]
                )
                if len(results) != len(live):
                    raise RuntimeError(
                        f"{self.name}: process returned {len(results)} results "
                        f"for {len(live)} items"
                    )
            except asyncio.CancelledError:
                for w in live:
                    if not w.future.done():
                        w.future.set_exception(BatcherStoppedError("server is shutting down"))
                raise
            except Exception as err:  # noqa: BLE001 - the callers get it, the worker goes on
                logger.error("%s batch of %d failed", self.name, len(live), exc_info=err)
                for w in live:
                    if not w.future.done():
                        w.future.set_exception(err)
                continue
            finally:
                seconds = time.perf_counter() - started
                self.stats.batches += 1
                self.stats.items += len(live)
                self.stats.largest_batch = max(self.stats.largest_batch, len(live))
                self.stats.sizes.append(len(live))
                del self.stats.sizes[:-1000]  # bounded: recent sizes only
                if self.observer:
                    self.observer.batch_done(len(live), seconds)
            for w, result in zip(live, results, strict=True):
                if w.future.done():
                    continue
                if isinstance(result, BaseException):
                    w.future.set_exception(result)
                else:
                    w.future.set_result(result)
