"""Memory that labelling must not keep: nothing per article may stay behind.

The Python heap of a server under a repeated load stays flat (checked with
``tracemalloc`` when the load test was written); what grows is spaCy's
vocabulary, which keeps every *new* token string it has seen, about 0.8 KB each,
for the life of the process: a server or a batch worker fed ever-new news
(names, numbers, typos) grows without bound.
"""

from __future__ import annotations

from stancewire.models.pipeline import StancePipeline
from stancewire.models.schema import Article, LabelledArticle


def unique_article(k: int) -> Article:
    words = " ".join(f"Zq{k}x{j}" for j in range(30))
    return Article(id=f"u{k}", text=f'"US forces must leave," said Ali Hussein. {words}.')


def test_labelling_new_text_does_not_grow_the_vocabulary(tiny_pipeline: StancePipeline) -> None:
    strings = tiny_pipeline.nlp.vocab.strings
    (first,) = tiny_pipeline.pipe([unique_article(0)])
    assert isinstance(first, LabelledArticle)
    before = len(strings)
    results = list(tiny_pipeline.pipe([unique_article(k) for k in range(1, 21)]))
    assert all(isinstance(r, LabelledArticle) and r.quotes for r in results)
    assert len(strings) == before, f"{len(strings) - before} strings kept from 20 articles"


def test_freed_heap_memory_goes_back_to_the_os() -> None:
    """What a busy moment allocated and freed is returned, not kept by glibc's arenas."""
    import psutil
    import pytest

    from stancewire.models.memory import release_free_memory, trim_supported

    if not trim_supported():
        pytest.skip("no malloc_trim in this C library")
    proc = psutil.Process()
    blocks = [bytes(64 * 1024) for _ in range(3000)]  # ~190 MB of malloc'd (not mmap'd) blocks
    pin = bytes(64 * 1024)  # above them on the heap: the heap's top cannot shrink
    del blocks
    freed = proc.memory_info().rss
    release_free_memory()
    trimmed = proc.memory_info().rss
    assert freed - trimmed > 100 * 2**20, (freed / 2**20, trimmed / 2**20)
    del pin


def test_the_trimmer_runs_at_most_once_per_interval() -> None:
    from stancewire.models.memory import MemoryTrimmer, trim_supported

    trimmer = MemoryTrimmer(3600)
    trimmer.after_work()
    trimmer.after_work()
    assert trimmer.trims == (1 if trim_supported() else 0)
    off = MemoryTrimmer(0.0, enabled=False)
    off.after_work()
    assert off.trims == 0 and not off.enabled


def test_the_load_test_calls_growth_after_run_one_unstable() -> None:
    from benchmarks.load_test import memory_stable

    assert memory_stable([648, 620, 606, 623, 659])  # measured with trimming
    assert not memory_stable([840, 962, 995, 1057, 1088])  # measured without
    assert memory_stable([900])
