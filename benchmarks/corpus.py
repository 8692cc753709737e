"""A benchmark corpus of ~800-word news articles built from the development sets.

The development articles (the seeds and ``extraction_dev``) are real-looking
news with HTML, quotes of every pattern and 450-2,100 words each. Articles are
packed or cut at paragraph boundaries to about ``words`` words and repeated
with new ids, so a corpus of any size has the shape of the news we label.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from stancewire.eval.scorer import read_jsonl
from stancewire.models.clean import clean_article

GOLD_DIR = Path(__file__).resolve().parent.parent / "eval" / "gold"
DEV_SETS = ("seeds.jsonl", "extraction_dev.jsonl")


def _paragraphs() -> list[list[str]]:
    """The paragraphs of every development article (HTML cleaned), article by article."""
    articles = []
    for name in DEV_SETS:
        for row in read_jsonl(GOLD_DIR / name):
            text = clean_article(row["text"]).text
            paras = [p.strip() for p in text.split("\n\n") if p.strip()]
            articles.append(paras)
    return articles


def sized_articles(words: int = 800) -> list[str]:
    """Each development article cut (or topped up with the next one) to ~``words`` words."""
    articles = _paragraphs()
    out = []
    for i in range(len(articles)):
        paras: list[str] = []
        n = 0
        j = i
        while n < words:
            for para in articles[j % len(articles)]:
                paras.append(para)
                n += len(para.split())
                if n >= words:
                    break
            j += 1
        out.append("\n\n".join(paras))
    return out


def iter_corpus(n: int | None = None, *, words: int = 800) -> Iterator[dict[str, str]]:
    """``n`` articles as ``{"id", "text"}``, cycling through the sized dev articles.

    ``n=None`` gives each distinct article once.
    """
    base = sized_articles(words)
    for k in range(len(base) if n is None else n):
        yield {"id": f"bench-{k:06d}", "text": base[k % len(base)]}


def write_corpus(path: str | Path, n: int, *, words: int = 800) -> Path:
    """Write ``n`` benchmark articles as JSON Lines; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in iter_corpus(n, words=words):
            fh.write(json.dumps(row) + "\n")
    return path


if __name__ == "__main__":
    import sys

    target = write_corpus(
        sys.argv[1] if len(sys.argv) > 1 else "out/bench_corpus.jsonl",
        int(sys.argv[2]) if len(sys.argv) > 2 else 1000,
    )
    sys.stdout.write(f"{target}\n")
