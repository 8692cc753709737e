"""Batch throughput: ``stancewire label`` on a corpus of ~800-word articles.

Each configuration is a real CLI run in a fresh process (model loading
included, so the figure is what a user gets), over the same corpus, with the
peak memory of the whole process tree. Articles/s and quotes/s come from the
records the run wrote.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.corpus import write_corpus
from benchmarks.procs import measure

STANCEWIRE = [sys.executable, "-m", "stancewire"]

CONFIGS: dict[str, list[str]] = {
    "1 process, torch fp32": ["--workers", "1"],
    "2 workers, torch fp32": ["--workers", "2"],
    "2 workers, onnx int8": ["--workers", "2", "--backend", "onnx"],
    # one model, its articles parsed in pieces by 2 helper processes (ParsePool)
    "1 process + parse pool 2, onnx int8": ["--parse-processes", "2", "--backend", "onnx"],
}


def _count(path: Path) -> tuple[int, int]:
    articles = quotes = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            articles += 1
            quotes += len(json.loads(line)["quotes"])
    return articles, quotes


def run(n_articles: int = 400, configs: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Articles/s, quotes/s and peak memory of each configuration."""
    results: dict[str, Any] = {"n_articles": n_articles, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="sw-bench-") as tmp:
        corpus = write_corpus(Path(tmp) / "corpus.jsonl", n_articles)
        for name, extra in (configs or CONFIGS).items():
            out = Path(tmp) / "out.jsonl"
            out.unlink(missing_ok=True)
            cmd = [*STANCEWIRE, "label", str(corpus), "-o", str(out), "--quiet", *extra]
            m = measure(cmd)
            if m.returncode != 0 or not out.is_file():
                results["runs"][name] = {"error": (m.stderr or m.stdout)[-500:]}
                continue
            articles, quotes = _count(out)
            results["runs"][name] = {
                "seconds": m.seconds,
                "articles": articles,
                "articles_per_s": articles / m.seconds,
                "quotes_per_s": quotes / m.seconds,
                "peak_rss_mb": m.peak_rss_mb,
            }
    return results


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    only = {k: v for k, v in CONFIGS.items() if k in sys.argv[2:]} or None  # names, or all
    sys.stdout.write(json.dumps(run(n, only), indent=2))
