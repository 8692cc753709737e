"""The authored training data: valid, balanced, and apart from every evaluation text."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from stancewire.models.errors import TrainingDataError
from stancewire.training.args import DATA_DIR
from stancewire.training.data import load_statements, statement_files

ROOT = Path(__file__).resolve().parents[2]
EVAL_GOLD = sorted((ROOT / "eval" / "gold").glob("*.jsonl"))
SHARED_REAL = ROOT.parent / "shared" / "gold" / "real_quotes_dev.jsonl"


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def _ngrams(words: list[str], n: int = 8) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.fixture(scope="module")
def statements():
    return load_statements(statement_files(DATA_DIR), targets=["us_presence", "militias"])


def test_data_is_valid_and_large_enough(statements) -> None:
    assert len(statements) >= 1000
    assert len({s.id for s in statements}) == len(statements)


@pytest.mark.parametrize("target", ["us_presence", "militias"])
def test_data_each_stance_class_is_at_least_20_percent(statements, target: str) -> None:
    counts = Counter(s.stance[target] for s in statements)
    for label in ("favor", "against", "none"):
        assert counts[label] / len(statements) >= 0.20, (target, counts)


def test_data_has_every_sentiment_and_both_kinds(statements) -> None:
    sentiments = Counter(s.sentiment for s in statements)
    kinds = Counter(s.kind for s in statements)
    assert min(sentiments[k] for k in ("positive", "negative", "neutral")) / len(statements) >= 0.15
    assert kinds["indirect"] / len(statements) >= 0.2


def test_data_shares_no_8_word_sequence_with_evaluation_texts(statements) -> None:
    """No training statement may overlap an evaluation article or quote by 8 words."""
    eval_grams: set[tuple[str, ...]] = set()
    for path in EVAL_GOLD:
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                eval_grams |= _ngrams(_words(row.get("text", "")))
    if SHARED_REAL.is_file():
        for line in SHARED_REAL.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                eval_grams |= _ngrams(_words(row.get("quote", "") + " " + row.get("context", "")))
    for seed in (ROOT / "seeds").iterdir():
        eval_grams |= _ngrams(_words(seed.read_text("utf-8")))
    assert eval_grams, "no evaluation text found"
    leaks = [
        s.id
        for s in statements
        if _ngrams(_words(s.quote)) & eval_grams or _ngrams(_words(s.context)) & eval_grams
    ]
    assert leaks == []


def test_data_loader_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', "utf-8")
    with pytest.raises(TrainingDataError, match=r"bad.jsonl:1"):
        load_statements([bad])
