"""Where the time goes: the labeller's stages timed one by one, per article.

Each article of the benchmark corpus goes through the same steps as
``StancePipeline`` does, with a clock around each: cleaning, spaCy's own
components (tokenizer, tok2vec, tagger, parser, NER, ...), the entity ruler,
quote finding, speaker attribution, then one batched classifier call for all
quotes (as the pipeline makes one per batch) and the roll-up into the output.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.corpus import iter_corpus
from stancewire.models.clean import clean_article
from stancewire.models.doc_attrs import QUOTES_KEY
from stancewire.models.pipeline import classify_input, load_pipeline

GROUPS = {
    "stancewire_quotes": "quote finding",
    "stancewire_speakers": "attribution",
    "entity_ruler": "entity ruler",
    "stancewire_paragraphs": "parse (spaCy)",
}


def run(n_articles: int = 40, model_dir: str | Path | None = None) -> dict[str, Any]:
    """Milliseconds per article for each stage, and each stage's share of the total."""
    pipeline = load_pipeline(model_dir)
    nlp = pipeline.nlp
    articles = list(iter_corpus(n_articles))
    pipeline.label(articles[0]["text"])  # warm up: lazy loads are not a stage
    spent: dict[str, float] = defaultdict(float)
    components: dict[str, float] = defaultdict(float)
    n_quotes = 0
    for row in articles:
        t0 = time.perf_counter()
        clean = clean_article(row["text"])
        spent["cleaning"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        doc = nlp.make_doc(clean.text)
        doc._.sw_paragraphs = list(clean.paragraphs)
        spent["parse (spaCy)"] += time.perf_counter() - t0
        for name, proc in nlp.pipeline:
            t0 = time.perf_counter()
            doc = proc(doc)
            took = time.perf_counter() - t0
            spent[GROUPS.get(name, "parse (spaCy)")] += took
            components[name] += took
        spans = list(doc.spans[QUOTES_KEY])
        n_quotes += len(spans)
        t0 = time.perf_counter()
        inputs = [classify_input(s) for s in spans]
        pipeline.classifier.predict(inputs)
        spent["model"] += time.perf_counter() - t0
    total = sum(spent.values())
    return {
        "n_articles": n_articles,
        "quotes_per_article": n_quotes / n_articles,
        "ms_per_article": {k: 1000 * v / n_articles for k, v in spent.items()},
        "share": {k: v / total for k, v in spent.items()},
        # each spaCy component on its own: which of them a faster parse would have to drop
        "spacy_components_ms_per_article": {
            k: 1000 * v / n_articles for k, v in components.items()
        },
        "total_ms_per_article": 1000 * total / n_articles,
    }


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(run(), indent=2) + "\n")
