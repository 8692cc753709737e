"""The second-annotator pass: the merge rule, the blind batches, and the record in the repo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stancewire.training.args import DATA_DIR
from stancewire.training.audit import (
    AuditRow,
    adjudicate,
    apply_changes,
    blind_batches,
    kept_label,
    label_of,
    labels_of,
    main,
    merge,
    merge_rule,
    read_record,
    read_second,
    reads_speaker,
    screen,
    screen_features,
    select,
    summarize,
    write_record,
)
from stancewire.training.data import load_statements, statement_files
from tests.conftest import write_statements

AUDITS = Path(__file__).resolve().parents[2] / "training" / "audits"
RECORDS = sorted(AUDITS.glob("*.jsonl"))
STATUS = json.loads((AUDITS / "status.json").read_text(encoding="utf-8"))


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
    rows = select(statements, {"sentiment": probs}, threshold=0.2, controls=4)
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
    rows = merge(
        pending,
        {
            (first.id, "sentiment"): ("neutral", True),
            (other.id, "sentiment"): (other.sentiment, True),
        },
    )
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
    with pytest.raises(ValueError, match="unknown sentiment label"):
        merge(
            pending,
            {(first.id, "sentiment"): ("angry", True), (other.id, "sentiment"): ("neutral", True)},
        )


@pytest.mark.parametrize("task", ["sentiment", "militias"])
def test_screen_gives_out_of_fold_probabilities(
    tmp_path: Path, tiny_encoder_dir: Path, task: str
) -> None:
    statements = _statements(tmp_path)
    probs = screen(statements, task=task, base_model=str(tiny_encoder_dir), folds=2)
    assert probs.shape == (len(statements), len(labels_of(task)))
    assert np.allclose(probs.sum(1), 1.0)


def test_both_stance_targets_screen_on_the_same_features_computed_once(
    tmp_path: Path, tiny_encoder_dir: Path
) -> None:
    statements = _statements(tmp_path)
    assert [reads_speaker(t) for t in ("sentiment", "us_presence", "militias")] == [
        False,
        True,
        True,
    ]
    shared = screen_features(statements, speaker=True, base_model=str(tiny_encoder_dir))
    for task in ("us_presence", "militias"):
        alone = screen(statements, task=task, base_model=str(tiny_encoder_dir), folds=2)
        given = screen(statements, task=task, features=shared, folds=2)
        assert np.array_equal(alone, given)


def test_an_unknown_task_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown task 'tone'"):
        label_of(_statements(tmp_path)[0], "tone")


def test_a_stance_pass_flags_per_target_and_audits_controls_on_every_target(
    tmp_path: Path,
) -> None:
    statements = _statements(tmp_path)
    probs = {}
    for task in ("us_presence", "militias"):
        labels = labels_of(task)
        p = np.full((len(statements), 3), 0.1)
        for i, s in enumerate(statements):
            doubted = (i % 4 == 0) if task == "us_presence" else (i % 4 in (0, 1))
            p[i, labels.index(label_of(s, task))] = 0.05 if doubted else 0.8
        probs[task] = p
    rows = select(statements, probs, threshold=0.2, controls=3, max_candidates=2)
    cand = {(r.id, r.task) for r in rows if r.group == "candidate"}
    # at most two per task, the most doubted (ties by position) first
    assert cand == {
        (statements[0].id, "us_presence"),
        (statements[4].id, "us_presence"),
        (statements[0].id, "militias"),
        (statements[1].id, "militias"),
    }
    controls = [r for r in rows if r.group == "control"]
    assert len(controls) == 6 and {r.task for r in controls} == {"us_presence", "militias"}
    flagged_anywhere = {statements[i].id for i in range(len(statements)) if i % 4 in (0, 1)}
    assert not {r.id for r in controls} & flagged_anywhere
    for r in rows:
        assert r.first == label_of(next(s for s in statements if s.id == r.id), r.task)
    # a statement audited on two tasks is read once
    paths = blind_batches(statements, rows, tmp_path / "blind", n=2)
    ids = [json.loads(line)["id"] for p in paths for line in p.read_text().splitlines()]
    assert sorted(ids) == sorted({r.id for r in rows})


def test_stance_readings_merge_and_apply_to_the_stance_field(tmp_path: Path) -> None:
    data = write_statements(tmp_path / "data", n_copies=1)
    statements = load_statements(statement_files(data))
    s = next(x for x in statements if x.stance["militias"] != "none")
    first = s.stance["militias"]
    pending = [
        AuditRow(s.id, "candidate", first, "none", 0.1, "", False, task="militias"),
        AuditRow(
            s.id, "control", s.stance["us_presence"], "none", 0.6, "", False, task="us_presence"
        ),
    ]
    out = tmp_path / "out_1.jsonl"
    out.write_text(
        json.dumps(
            {
                "id": s.id,
                "us_presence": s.stance["us_presence"],
                "us_presence_sure": False,
                "militias": "none",
                "militias_sure": True,
            }
        )
        + "\n"
    )
    second = read_second([out], ["us_presence", "militias"])
    assert second == {
        (s.id, "us_presence"): (s.stance["us_presence"], False),
        (s.id, "militias"): ("none", True),
    }
    rows = merge(pending, second)
    assert [r.final for r in rows] == ["none", s.stance["us_presence"]]
    assert apply_changes(rows, data) == 1
    after = {x.id: x for x in load_statements(statement_files(data))}[s.id]
    assert after.stance == {**s.stance, "militias": "none"}
    assert after.sentiment == s.sentiment
    text = summarize(rows)
    assert "militias candidate: 1 rows" in text and "militias changed: 1" in text
    assert "us_presence changed: 0" in text


def test_a_line_wide_sure_flag_counts_for_every_task(tmp_path: Path) -> None:
    out = tmp_path / "out_1.jsonl"
    out.write_text(json.dumps({"id": "x", "sentiment": "neutral", "sure": True}) + "\n")
    assert read_second([out], ["sentiment", "militias"]) == {("x", "sentiment"): ("neutral", True)}


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.name)
def test_the_records_in_the_repo_follow_the_rule_and_match_the_data(record: Path, capsys) -> None:
    """An ``applied`` record's kept labels are in the data; a ``pending`` one's are not yet.

    A pass is applied when the model it goes with is trained, so that
    ``stancewire train`` on the data in the repo rebuilds the bundled model.
    """
    status = STATUS[record.name]
    assert status in ("applied", "pending")
    rows = read_record(record)
    assert rows and len({(r.id, r.task) for r in rows}) == len(rows)
    data = {s.id: s for s in load_statements(statement_files(DATA_DIR))}
    for r in rows:
        assert r.final == kept_label(r), r.id
        if r.lead:
            assert r.note, f"{r.id}: a lead's decision needs its reason"
        else:
            assert r.final == merge_rule(r.first, r.second, r.second_sure, r.screen), r.id
        expected = r.final if status == "applied" else r.first
        assert label_of(data[r.id], r.task) == expected, (r.id, r.task)
    main(["summary", str(record)])
    assert "second agrees with first" in capsys.readouterr().out


def test_every_record_has_a_status() -> None:
    assert set(STATUS) == {p.name for p in RECORDS}


def test_the_lead_overrules_named_rows_and_says_why() -> None:
    rows = [
        AuditRow("a", "candidate", "against", "none", 0.1, "none", True, "none", task="militias"),
        AuditRow("b", "candidate", "none", "none", 0.1, "none", True, "none", task="militias"),
    ]
    done = adjudicate(rows, {("a", "militias"): ("against", "condemns both sides")})
    assert [r.final for r in done] == ["against", "none"]
    assert done[0].lead == "against" and done[0].note == "condemns both sides"
    assert kept_label(done[0]) == "against" and kept_label(done[1]) == "none"
    assert "adjudicated by the lead: 1 (1 back to the first label)" in summarize(done)
    with pytest.raises(ValueError, match="not in the record"):
        adjudicate(rows, {("c", "militias"): ("none", "?")})
    with pytest.raises(ValueError, match="unknown militias label"):
        adjudicate(rows, {("a", "militias"): ("maybe", "?")})
