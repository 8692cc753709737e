"""The benchmark table's arithmetic: the throughput ceiling and its row.

The timings themselves are never asserted (they belong to ``python -m
benchmarks``); these tests check what is computed from them.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from benchmarks.__main__ import summary_table
from benchmarks.stages import MODEL_INT8_1T, ceiling

CPU_MS = {
    "cleaning": 2.0,
    "parse (spaCy)": 250.0,
    "quote finding": 5.0,
    "attribution": 8.0,
    "model": 1000.0,  # the default path on two threads: not what the ceiling uses
    MODEL_INT8_1T: 335.0,
}


def test_the_ceiling_is_cores_over_the_cpu_an_article_costs() -> None:
    c = ceiling(CPU_MS, cores=2)
    assert c["cpu_ms_per_article"] == pytest.approx(600.0)
    assert c["articles_per_s"] == pytest.approx(2000 / 600)
    assert c["parse_alone_articles_per_s"] == pytest.approx(8.0)
    assert ceiling(CPU_MS, cores=8)["articles_per_s"] == pytest.approx(8000 / 600)


def _render(res: dict) -> str:
    out = io.StringIO()
    Console(file=out, width=400).print(summary_table(res))
    return out.getvalue()


def test_the_table_says_whether_the_parse_alone_allows_the_goal() -> None:
    stages = {"ms_per_article": {"parse (spaCy)": 240.0}, "cpu_ms_per_article": CPU_MS}
    slow = _render({"stages": stages | {"ceiling": ceiling(CPU_MS, cores=2)}})
    assert "3.3 articles/s (600 ms); the parse alone: 8.0 articles/s" in slow
    assert "not met" in slow
    fast = _render({"stages": stages | {"ceiling": ceiling(CPU_MS, cores=4)}})
    assert "the parse alone: 16.0 articles/s" in fast
    assert "not met" not in fast
