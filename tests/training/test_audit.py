"""The second-annotator pass: the merge rule, the blind batches, and the record in the repo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stancewire.training.args import DATA_DIR
from stancewire.training.audit import (
    AuditRow,
    apply_changes,
    blind_batches,
    main,
    merge,
    merge_rule,
    read_record,
    screen,
    select,
    summarize,
    write_record,
)
from stancewire.training.data import load_statements, statement_files
from tests.conftest import write_statements

RECORDS = sorted((Path(__file__).resolve().parents[2] / "training" / "audits").glob("*.jsonl"))


@pytest.mark.parametrize(
    ("first", "second", "sure", "screen_label", "kept"),
    [
        ("neutral", "negative", True, "negative", "negative"),  # two of three, sure
        ("neutral", "negative", False, "negative", "neutral"),  # unsure: no change
        ("neutral", "negative", True, "positive", "neutral"),  # three readings differ
        ("neutral", "neutral", True, "negative", "neutral"),  # second agrees with first
        ("neutral", "positive", True, "neutral", "neutral"),  # screen sides with first
    ],
)
def test_merge_rule_needs_a_sure_second_reading_and_the_screen(
    first: str, second: str, sure: bool, screen_label: str, kept: str
) -> None:
    assert merge_rule(first, second, sure, screen_label) == kept


def _statements(tmp_path: Path):
    return load_statements(statement_files(write_statements(tmp_path / "data", n_copies=2)))


def test_select_flags_low_probability_rows_and_samples_disjoint_controls(tmp_path: Path) -> None:
    statements = _statements(tmp_path)
    labels = ("negative", "neutral", "positive")
    probs = np.full((len(statements), 3), 0.1)
    for i, s in enumerate(statements):
        # the screen is sure of the author's label except on every third row
        probs[i, labels.index(s.sentiment)] = 0.05 if i % 3 == 0 else 0.8
    rows = select(statements, probs, threshold=0.2, controls=4)
    candidates = [r.id for r in rows if r.group == "candidate"]
    controls = [r.id for r in rows if r.group == "control"]
    assert candidates == [s.id for i, s in enumerate(statements) if i % 3 == 0]
    assert len(controls) == 4 and not set(controls) & set(candidates)
    assert all(r.screen_p_first == 0.05 for r in rows if r.group == "candidate")


def test_blind_batches_hide_the_labels_and_cover_every_row_once(tmp_path: Path) -> None:
    statements = _statements(tmp_path)
    rows = [AuditRow(s.id, "candidate", s.sentiment, "neutral", 0.1, "", False) for s in statements]
    paths = blind_batches(statements, rows, tmp_path / "blind", n=3)
    seen = []
    for path in paths:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            assert "sentiment" not in row and "stance" not in row
            seen.append(row["id"])
    assert sorted(seen) == sorted(s.id for s in statements)


def test_merge_apply_and_summary(tmp_path: Path) -> None:
    data = write_statements(tmp_path / "data", n_copies=1)
    statements = load_statements(statement_files(data))
    first, other = statements[0], statements[1]
    pending = [
        AuditRow(first.id, "candidate", first.sentiment, "neutral", 0.1, "", False),
        AuditRow(other.id, "control", other.sentiment, other.sentiment, 0.9, "", False),
    ]
    rows = merge(pending, {first.id: ("neutral", True), other.id: (other.sentiment, True)})
    assert [r.final for r in rows] == ["neutral", other.sentiment]
    write_record(rows, tmp_path / "record.jsonl")
    assert read_record(tmp_path / "record.jsonl") == rows
    assert apply_changes(rows, data) == 1
    after = {s.id: s for s in load_statements(statement_files(data))}
    assert after[first.id].sentiment == "neutral"
    assert after[first.id].model_dump(exclude={"sentiment"}) == first.model_dump(
        exclude={"sentiment"}
    )
    assert apply_changes(rows, data) == 0  # already applied
    text = summarize(rows)
    assert "candidate: 1 rows" in text and "changed: 1" in text
    with pytest.raises(ValueError, match="unknown label"):
        merge(pending, {first.id: ("angry", True), other.id: ("neutral", True)})


def test_screen_gives_out_of_fold_probabilities(tmp_path: Path, tiny_encoder_dir: Path) -> None:
    statements = _statements(tmp_path)
    probs = screen(statements, base_model=str(tiny_encoder_dir), folds=2)
    assert probs.shape == (len(statements), 3)
    assert np.allclose(probs.sum(1), 1.0)


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.name)
def test_the_records_in_the_repo_follow_the_rule_and_are_applied(record: Path, capsys) -> None:
    rows = read_record(record)
    assert rows and len({r.id for r in rows}) == len(rows)
    data = {s.id: s.sentiment for s in load_statements(statement_files(DATA_DIR))}
    for r in rows:
        assert r.final == merge_rule(r.first, r.second, r.second_sure, r.screen), r.id
        assert data[r.id] == r.final, r.id
    main(["summary", str(record)])
    assert "second agrees with first" in capsys.readouterr().out
