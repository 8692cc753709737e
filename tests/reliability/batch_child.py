"""A batch run to be killed: ``python -m tests.reliability.batch_child INPUT OUTPUT [--resume]``.

It drives the real batch machinery (:func:`~stancewire.models.batch.runner.run_batch`:
input reading, chunking, the journal, the errors file, resume, CSV/Parquet
conversion) with a stand-in pipeline, so that a process starts in well under
a second and the kill tests can afford many trials. What is under test is
the driver and its files, not the model: the kill-and-resume test with the
real CLI and a real model is ``tests/models/test_batch_runner.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from stancewire.models.batch.runner import BatchJob, LocalEngine, run_batch
from stancewire.models.batch.worker import PipelineSpec
from stancewire.models.schema import Article, ArticleError, LabelledArticle, Quote

TARGETS = ("us_presence", "militias")


class EchoPipeline:
    """Labels every article with one quote (its first words); ``FAIL`` in a text fails it."""

    def pipe(
        self, articles: Iterable[Article], targets: Sequence[str] | None = None
    ) -> Iterator[LabelledArticle | ArticleError]:
        for article in articles:
            if "FAIL" in article.text:
                yield ArticleError(
                    id=article.id, source=article.source, code="SW101", message="no text"
                )
                continue
            words = article.text[:40]
            quote = Quote(
                text=words,
                kind="direct",
                speaker="Echo",
                speaker_type="person",
                stance={t: "none" for t in targets or TARGETS},
                start=0,
                end=len(words),
            )
            yield LabelledArticle(
                id=article.id,
                source=article.source,
                text=article.text,
                quotes=[quote],
                model="echo",
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input")
    parser.add_argument("output", type=Path)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--chunk-size", type=int, default=3)
    args = parser.parse_args(argv)
    spec = PipelineSpec(targets=TARGETS)
    job = BatchJob(
        inputs=[args.input],
        output=args.output,
        spec=spec,
        resume=args.resume,
        chunk_size=args.chunk_size,
    )
    run_batch(job, engine=LocalEngine(spec, pipeline=EchoPipeline()))


if __name__ == "__main__":
    main()
