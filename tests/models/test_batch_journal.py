"""The crash-safe journal and the output formats of batch runs (no model needed)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from stancewire.models.batch.formats import (
    convert,
    csv_columns,
    errors_path,
    journal_path,
    output_format,
)
from stancewire.models.batch.journal import Journal, read_ids, repair
from stancewire.models.errors import ConfigError


def test_journal_appends_whole_lines_and_resume_reads_ids(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "j.jsonl"
    with Journal(path, resume=False) as j:
        j.append(json.dumps({"id": "a", "n": 1}))
        j.append(json.dumps({"id": "b", "n": 2}))
        assert j.total == 2
    assert path.read_text() == '{"id": "a", "n": 1}\n{"id": "b", "n": 2}\n'
    with Journal(path, resume=True) as j:
        assert j.ids == {"a", "b"} and j.dropped_bytes == 0
        j.append(json.dumps({"id": "c"}))
        assert j.total == 3
    assert read_ids(path) == ["a", "b", "c"]
    with Journal(path, resume=False) as j:  # a fresh run starts empty
        assert j.ids == set()
    assert path.read_text() == ""


def test_resume_truncates_a_partial_last_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    whole = '{"id": "a"}\n{"id": "b"}\n'
    path.write_text(whole + '{"id": "c", "text": "cut sh', "utf-8")
    with Journal(path, resume=True) as j:
        assert j.ids == {"a", "b"}
        assert j.dropped_bytes == len('{"id": "c", "text": "cut sh')
        j.append('{"id": "c"}')
    assert path.read_text() == whole + '{"id": "c"}\n'


def test_repair_handles_no_newline_at_all_and_long_tails(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"x" * 200_000)  # longer than one backwards-scan block
    assert repair(path) == 200_000 and path.read_bytes() == b""
    path.write_bytes(b'{"id": "a"}\n' + b"y" * 150_000)
    assert repair(path) == 150_000 and path.read_bytes() == b'{"id": "a"}\n'
    assert repair(path) == 0


def test_a_corrupt_middle_line_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n', "utf-8")
    with pytest.raises(ConfigError, match="line 2 is not a stancewire record"):
        Journal(path, resume=True)


def test_output_format_by_extension(tmp_path: Path) -> None:
    assert output_format(Path("o.jsonl")) == "jsonl"
    assert output_format(Path("o.NDJSON")) == "jsonl"
    assert output_format(Path("o.csv")) == "csv"
    assert output_format(Path("o.parquet")) == output_format(Path("o.pq")) == "parquet"
    with pytest.raises(ConfigError, match="cannot tell the output format"):
        output_format(Path("o.xlsx"))
    assert journal_path(Path("d/o.jsonl")) == Path("d/o.jsonl")
    assert journal_path(Path("d/o.csv")) == Path("d/o.journal.jsonl")
    assert errors_path(Path("d/o.parquet")) == Path("d/o.errors.jsonl")


def _record(i: int, n_quotes: int) -> dict:
    quotes = [
        {
            "text": f"quote {i}.{k}",
            "kind": "direct",
            "speaker": "Ali Hussein" if k == 0 else None,
            "speaker_aliases": ["Hussein"] if k == 0 else [],
            "speaker_type": "person" if k == 0 else None,
            "affiliation": None,
            "stance": {"us_presence": "against", "militias": "none"},
            "sentiment": "negative",
            "start": 10 * k,
            "end": 10 * k + 5,
            "confidence": {"us_presence": 0.9, "militias": 0.6, "sentiment": 0.7},
        }
        for k in range(n_quotes)
    ]
    speakers = (
        [
            {
                "speaker": "Ali Hussein",
                "speaker_aliases": ["Hussein"],
                "speaker_type": "person",
                "affiliation": None,
                "n_quotes": 1,
                "quotes": [0],
                "stance": {"us_presence": "against", "militias": "none"},
                "evidence": {"us_presence": [0], "militias": []},
            }
        ]
        if n_quotes
        else []
    )
    return {
        "id": f"a{i}",
        "source": None,
        "text": "t",
        "quotes": quotes,
        "speakers": speakers,
        "model": "m",
    }


def test_csv_has_one_row_per_quote(tmp_path: Path) -> None:
    journal = tmp_path / "o.journal.jsonl"
    records = [_record(0, 2), _record(1, 0), _record(2, 1)]
    journal.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    n = convert(journal, tmp_path / "o.csv", ["us_presence", "militias"])
    with (tmp_path / "o.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert n == 3 and len(rows) == 3
    assert list(rows[0]) == csv_columns(["us_presence", "militias"])
    assert [(r["article_id"], r["quote_index"]) for r in rows] == [
        ("a0", "0"),
        ("a0", "1"),
        ("a2", "0"),
    ]
    assert rows[0]["speaker"] == "Ali Hussein" and rows[0]["speaker_aliases"] == "Hussein"
    assert rows[1]["speaker"] == "" and rows[0]["stance_us_presence"] == "against"
    assert rows[0]["confidence_sentiment"] == "0.7"
    assert not (tmp_path / "o.csv.tmp").exists()


def test_parquet_has_one_lossless_row_per_article(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from stancewire.models.schema import LabelledArticle

    journal = tmp_path / "o.journal.jsonl"
    records = [_record(i, i % 3) for i in range(2500)]  # several row groups
    journal.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    assert convert(journal, tmp_path / "o.parquet", ["us_presence", "militias"]) == 2500
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.num_rows == 2500
    back = table.to_pylist()
    for got, want in zip(back[:10], records[:10], strict=True):
        assert LabelledArticle.model_validate(got) == LabelledArticle.model_validate(want)
    assert back[1]["quotes"][0]["stance"] == {"us_presence": "against", "militias": "none"}


def test_parquet_without_any_quote_still_writes(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    journal = tmp_path / "o.journal.jsonl"
    journal.write_text(json.dumps(_record(0, 0)) + "\n", "utf-8")
    assert convert(journal, tmp_path / "o.parquet", []) == 1
    assert pq.read_table(tmp_path / "o.parquet").to_pylist()[0]["quotes"] == []
