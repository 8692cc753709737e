"""Where the time goes: the labeller's stages timed one by one, per article.

Each article of the benchmark corpus goes through the same steps as
``StancePipeline`` does, with a clock around each: cleaning, spaCy's own
components (tokenizer, tok2vec, tagger, parser, NER, ...), the entity ruler,
quote finding, speaker attribution, then one batched classifier call for all
quotes (as the pipeline makes one per batch) and the roll-up into the output.

Each stage is timed twice: wall-clock (what one article waits) and CPU time
of the whole process (what it costs the machine, every thread counted). The
CPU figures give the **throughput ceiling**: a machine with ``cores`` cores
cannot label more than ``cores * 1000 / cpu_ms_per_article`` articles a
second, however the work is spread over workers, and the parse alone bounds
it at ``cores * 1000 / parse_cpu_ms``. The model stage is timed for that
ceiling as a batch worker runs it at its cheapest: ONNX int8 on one thread.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.corpus import iter_corpus
from stancewire.models.clean import clean_article
from stancewire.models.doc_attrs import QUOTES_KEY
from stancewire.models.pipeline import DEFAULT_MODEL_DIR, classify_input, load_pipeline

GROUPS = {
    "stancewire_quotes": "quote finding",
    "stancewire_speakers": "attribution",
    "entity_ruler": "entity ruler",
    "stancewire_paragraphs": "parse (spaCy)",
}
MODEL_INT8_1T = "model (onnx int8, 1 thread)"
"""The CPU row the ceiling uses for the model stage."""


class _Clock:
    """Wall-clock and process CPU time spent per named stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._t = (0.0, 0.0)

    def start(self) -> None:
        self._t = (time.perf_counter(), time.process_time())

    def stop(self, stage: str) -> float:
        wall = time.perf_counter() - self._t[0]
        self.wall[stage] += wall
        self.cpu[stage] += time.process_time() - self._t[1]
        return wall


def ceiling(cpu_ms: dict[str, float], cores: int) -> dict[str, float]:
    """Articles/s that ``cores`` cores cannot exceed, from CPU ms per article.

    ``all stages``: cleaning, parse, quote finding, attribution and the int8
    model on one thread; ``parse alone``: as if every other stage were free.
    """
    parse = cpu_ms["parse (spaCy)"]
    stages = ("cleaning", "parse (spaCy)", "quote finding", "attribution", MODEL_INT8_1T)
    total = sum(cpu_ms.get(s, 0.0) for s in stages)
    return {
        "cores": cores,
        "cpu_ms_per_article": total,
        "articles_per_s": cores * 1000 / total,
        "parse_alone_articles_per_s": cores * 1000 / parse,
    }


def run(n_articles: int = 40, model_dir: str | Path | None = None) -> dict[str, Any]:
    """Milliseconds per article for each stage, its share, and the throughput ceiling."""
    from stancewire.models.backends.onnx import OnnxQuoteClassifier

    pipeline = load_pipeline(model_dir)
    nlp = pipeline.nlp
    articles = list(iter_corpus(n_articles))
    pipeline.label(articles[0]["text"])  # warm up: lazy loads are not a stage
    clock = _Clock()
    components: dict[str, float] = defaultdict(float)
    n_quotes = 0
    inputs_per_article = []
    for row in articles:
        clock.start()
        clean = clean_article(row["text"])
        clock.stop("cleaning")
        clock.start()
        doc = nlp.make_doc(clean.text)
        doc._.sw_paragraphs = list(clean.paragraphs)
        clock.stop("parse (spaCy)")
        for name, proc in nlp.pipeline:
            clock.start()
            doc = proc(doc)
            components[name] += clock.stop(GROUPS.get(name, "parse (spaCy)"))
        spans = list(doc.spans[QUOTES_KEY])
        n_quotes += len(spans)
        clock.start()
        inputs = [classify_input(s) for s in spans]
        pipeline.classifier.predict(inputs)
        clock.stop("model")
        inputs_per_article.append(inputs)
    wall = dict(clock.wall)
    # The model stage as a batch worker on one core runs it: int8, one thread.
    int8 = OnnxQuoteClassifier.load(model_dir or DEFAULT_MODEL_DIR, threads=1)
    int8.predict(inputs_per_article[0])  # warm up
    for inputs in inputs_per_article:
        clock.start()
        int8.predict(inputs)
        clock.stop(MODEL_INT8_1T)
    cpu_ms = {k: 1000 * v / n_articles for k, v in clock.cpu.items()}
    total = sum(wall.values())
    return {
        "n_articles": n_articles,
        "quotes_per_article": n_quotes / n_articles,
        "ms_per_article": {k: 1000 * v / n_articles for k, v in wall.items()},
        "share": {k: v / total for k, v in wall.items()},
        # each spaCy component on its own: which of them a faster parse would have to drop
        "spacy_components_ms_per_article": {
            k: 1000 * v / n_articles for k, v in components.items()
        },
        "total_ms_per_article": 1000 * total / n_articles,
        "cpu_ms_per_article": cpu_ms,
        "ceiling": ceiling(cpu_ms, len(os.sched_getaffinity(0))),
    }


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
