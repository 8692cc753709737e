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
