"""The micro-batcher (api/batcher.py) on its own, with a fake model: no timing decides a result.

A "model" that blocks on a ``threading.Event`` lets each test fix exactly which
items are waiting when a batch is collected.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stancewire.api.batcher import (
    BatcherStoppedError,
    MicroBatcher,
    QueueFullError,
)


class FakeModel:
    """Doubles its inputs; records each call's batch; optionally waits for ``gate``."""

    def __init__(self, *, gated: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()
        if not gated:
            self.gate.set()

    def __call__(self, items: list[int]) -> Sequence[Any]:
        self.entered.set()
        self.gate.wait(timeout=30)
        self.calls.append(list(items))
        return [ValueError(f"bad {x}") if x < 0 else 2 * x for x in items]


class Recorder:
    """A ``BatchObserver`` that keeps what it is told."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.depths: list[int] = []
        self.rejections = 0
        self.timeouts = 0

    def batch_done(self, size: int, seconds: float) -> None:
        self.batches.append(size)

    def depth_changed(self, depth: int) -> None:
        self.depths.append(depth)

    def rejected(self, n_items: int) -> None:
        self.rejections += n_items

    def timed_out(self, n_items: int) -> None:
        self.timeouts += n_items


def run(coro_factory: Callable[[], Any]) -> Any:
    return asyncio.run(coro_factory())


def make(model: FakeModel, **kw: Any) -> MicroBatcher[int, int]:
    kw.setdefault("max_batch", 4)
    kw.setdefault("max_wait_ms", 10_000)
    kw.setdefault("queue_size", 16)
    return MicroBatcher(model, name="test", **kw)


async def _wait_for(condition: Callable[[], bool]) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


def test_items_from_concurrent_callers_share_a_batch_in_order() -> None:
    model = FakeModel()

    async def main() -> list[Any]:
        batcher = make(model, max_batch=4)
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.submit(i, timeout=30) for i in range(4)))
        finally:
            await batcher.stop()

    assert run(main) == [0, 2, 4, 6]
    assert model.calls == [[0, 1, 2, 3]]  # full batch: no waiting for max_wait


def test_waiting_items_fill_the_next_batch_up_to_max_batch() -> None:
    model = FakeModel(gated=True)

    async def main() -> list[Any]:
        batcher = make(model, max_batch=3, max_wait_ms=0)
        await batcher.start()
        try:
            first = asyncio.ensure_future(batcher.submit(100, timeout=30))
            await asyncio.to_thread(model.entered.wait, 30)  # 100 is in the model alone
            rest = [asyncio.ensure_future(batcher.submit(i, timeout=30)) for i in range(5)]
            await _wait_for(lambda: batcher.depth == 5)
            model.gate.set()
            return await asyncio.gather(first, *rest)
        finally:
            await batcher.stop()

    assert run(main) == [200, 0, 2, 4, 6, 8]
    assert model.calls == [[100], [0, 1, 2], [3, 4]]
    assert sorted(sum(model.calls, [])) == sorted([100, *range(5)])


def test_max_batch_1_calls_the_model_once_per_item() -> None:
    model = FakeModel()

    async def main() -> None:
        batcher = make(model, max_batch=1)
        await batcher.start()
        await asyncio.gather(*(batcher.submit(i, timeout=30) for i in range(3)))
        await batcher.stop()

    run(main)
    assert model.calls == [[0], [1], [2]]


def test_per_item_errors_fail_only_their_caller() -> None:
    model = FakeModel()

    async def main() -> tuple[list[Any], BaseException | None]:
        batcher = make(model, max_batch=3, max_wait_ms=0)
        await batcher.start()
        many = await batcher.submit_many([1, -1, 2], timeout=30)  # queued at once: one batch
        try:
            await batcher.submit(-5, timeout=30)
            raised = None
        except ValueError as err:
            raised = err
        await batcher.stop()
        return many, raised

    many, raised = run(main)
    assert many[0] == 2 and many[2] == 4
    assert isinstance(many[1], ValueError) and str(many[1]) == "bad -1"
    assert str(raised) == "bad -5"
    assert model.calls == [[1, -1, 2], [-5]]


def test_a_failing_model_call_fails_its_batch_and_the_worker_goes_on() -> None:
    calls: list[list[int]] = []

    def flaky(items: list[int]) -> list[int]:
        calls.append(items)
        if 13 in items:
            raise RuntimeError("model crashed")
        return items

    async def main() -> tuple[str, int]:
        batcher = MicroBatcher(flaky, name="t", max_batch=1, max_wait_ms=0, queue_size=4)
        await batcher.start()
        try:
            await batcher.submit(13, timeout=30)
            message = ""
        except RuntimeError as err:
            message = str(err)
        after = await batcher.submit(7, timeout=30)
        await batcher.stop()
        return message, after

    assert run(main) == ("model crashed", 7)


def test_full_queue_refuses_all_or_nothing() -> None:
    model = FakeModel(gated=True)
    recorder = Recorder()

    async def main() -> tuple[list[Any], int]:
        batcher = make(model, max_batch=1, max_wait_ms=0, queue_size=3, observer=recorder)
        await batcher.start()
        busy = asyncio.ensure_future(batcher.submit(0, timeout=30))
        await asyncio.to_thread(model.entered.wait, 30)
        waiting = asyncio.ensure_future(batcher.submit_many([1, 2], timeout=30))
        await _wait_for(lambda: batcher.depth == 2)
        with pytest.raises(QueueFullError, match="queue is full"):
            await batcher.submit_many([3, 4], timeout=30)  # 1 free slot, 2 items: none queued
        depth_after_refusal = batcher.depth
        last = asyncio.ensure_future(batcher.submit(5, timeout=30))  # 1 item fits
        await _wait_for(lambda: batcher.depth == 3)
        model.gate.set()
        results = [await busy, *(await waiting), await last]
        await batcher.stop()
        return results, depth_after_refusal

    results, depth = run(main)
    assert results == [0, 2, 4, 10]
    assert depth == 2
    assert recorder.rejections == 2
    assert model.calls == [[0], [1], [2], [5]]


def test_timed_out_items_are_dropped_before_their_batch_runs() -> None:
    model = FakeModel(gated=True)
    recorder = Recorder()

    async def main() -> int:
        batcher = make(model, max_batch=4, max_wait_ms=0, observer=recorder)
        await batcher.start()
        busy = asyncio.ensure_future(batcher.submit(0, timeout=30))
        await asyncio.to_thread(model.entered.wait, 30)
        with pytest.raises(TimeoutError):
            await batcher.submit_many([1, 2], timeout=0.05)  # never leaves the queue in time
        model.gate.set()
        result = await busy
        assert await batcher.submit(3, timeout=30) == 6
        await batcher.stop()
        return result

    assert run(main) == 0
    assert model.calls == [[0], [3]]  # 1 and 2 were skipped: nobody waits for them
    assert recorder.timeouts == 2
    assert recorder.batches == [1, 1]
    assert recorder.depths[-1] == 0


def test_stop_fails_waiting_callers_and_submit_after_stop() -> None:
    model = FakeModel(gated=True)

    async def main() -> tuple[BaseException, BaseException]:
        batcher = make(model, max_batch=1, max_wait_ms=0)
        await batcher.start()
        busy = asyncio.ensure_future(batcher.submit(0, timeout=30))
        await asyncio.to_thread(model.entered.wait, 30)
        queued = asyncio.ensure_future(batcher.submit(1, timeout=30))
        await _wait_for(lambda: batcher.depth == 1)
        await batcher.stop()
        model.gate.set()
        outcomes = await asyncio.gather(busy, queued, return_exceptions=True)
        with pytest.raises(BatcherStoppedError):
            await batcher.submit(2, timeout=30)
        return outcomes[0], outcomes[1]

    busy, queued = run(main)
    assert isinstance(busy, BatcherStoppedError)
    assert isinstance(queued, BatcherStoppedError)


def test_shared_single_thread_executor_never_overlaps_model_calls() -> None:
    active = 0
    most = 0
    lock = threading.Lock()

    def model(items: list[int]) -> list[int]:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        threading.Event().wait(0.01)  # long enough for a second call to overlap, if it could
        with lock:
            active -= 1
        return items

    async def main() -> None:
        pool = ThreadPoolExecutor(max_workers=1)
        a = MicroBatcher(model, name="a", max_batch=1, max_wait_ms=0, queue_size=8, executor=pool)
        b = MicroBatcher(model, name="b", max_batch=1, max_wait_ms=0, queue_size=8, executor=pool)
        await a.start()
        await b.start()
        await asyncio.gather(
            *(a.submit(i, timeout=30) for i in range(4)),
            *(b.submit(i, timeout=30) for i in range(4)),
        )
        await a.stop()
        await b.stop()
        pool.shutdown()

    run(main)
    assert most == 1


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(lambda x: x, name="x", max_batch=0, max_wait_ms=0, queue_size=1)
