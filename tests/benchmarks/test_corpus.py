"""The benchmark corpus: what the API benchmark posts in turn."""

from __future__ import annotations

from benchmarks.corpus import iter_corpus, sized_articles


def test_without_a_count_the_corpus_is_each_distinct_article_once() -> None:
    texts = sized_articles()
    once = list(iter_corpus())
    assert [a["text"] for a in once] == texts
    assert len({a["id"] for a in once}) == len(texts)
    assert list(iter_corpus(len(texts) + 2))[: len(texts)] == once  # a count cycles past them
