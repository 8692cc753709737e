from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from stancewire.models.errors import InputError
from stancewire.models.io import content_id, count_articles, iter_articles, unique_ids
from stancewire.models.schema import Article, ArticleError


def test_io_reads_text_html_dirs_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("He said it.", "utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.html").write_text("<p>She said so.</p>", "utf-8")
    (sub / "ignored.png").write_bytes(b"\x89PNG")
    (tmp_path / "c.jsonl").write_text(
        json.dumps({"id": "c1", "text": "One."})
        + "\n\n"
        + json.dumps({"id": 7, "text": "Two."})
        + "\n",
        "utf-8",
    )
    items = list(iter_articles([tmp_path]))
    assert [(a.id, a.source) for a in items] == [
        ("a", "a.txt"),
        ("c1", "c.jsonl"),
        ("7", "c.jsonl"),
        ("b", "b.html"),
    ]
    assert all(isinstance(a, Article) for a in items)


def test_io_bad_lines_become_errors_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "ok", "text": "Fine."}\nnot json\n{"id": "x"}\n[1]\n'
        '{"id": "ok2", "text": "Also."}\n',
        "utf-8",
    )
    items = list(iter_articles([path]))
    assert [type(i).__name__ for i in items] == [
        "Article",
        "ArticleError",
        "ArticleError",
        "ArticleError",
        "Article",
    ]
    missing = items[2]
    assert isinstance(missing, ArticleError)
    assert "line 3" in missing.message and "'text'" in missing.message


def test_io_undecodable_file_is_an_error_record(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 \xff\xfe")
    (item,) = iter_articles([tmp_path / "bad.txt"])
    assert isinstance(item, ArticleError)
    assert item.code == "SW100" and "UTF-8" in item.message


def test_io_stdin_plain_and_jsonl() -> None:
    (plain,) = iter_articles(["-"], stdin=io.StringIO("Just text."))
    assert plain.id == "stdin" and plain.text == "Just text."
    items = list(iter_articles(["-"], stdin=io.StringIO('{"id": "s", "text": "T."}\n')))
    assert [a.id for a in items] == ["s"]


def test_io_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="input not found"):
        list(iter_articles([tmp_path / "nope.txt"]))


# ---------------------------------------------------------------- globs, tables, ids


def _write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_io_glob_expands_sorted_and_recursive(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("B.", "utf-8")
    (tmp_path / "a.txt").write_text("A.", "utf-8")
    (tmp_path / "x.html").write_text("<p>X.</p>", "utf-8")
    deep = tmp_path / "d" / "e"
    deep.mkdir(parents=True)
    (deep / "c.txt").write_text("C.", "utf-8")
    assert [a.id for a in iter_articles([str(tmp_path / "*.txt")])] == ["a", "b"]
    assert [a.id for a in iter_articles([str(tmp_path / "**" / "*.txt")])] == ["a", "b", "c"]
    with pytest.raises(InputError, match="no files match"):
        list(iter_articles([str(tmp_path / "*.pdf")]))


def test_io_missing_id_is_a_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"text": "Same text."}) + "\n", "utf-8")
    (item,) = iter_articles([path])
    assert item.id == content_id("Same text.")
    assert item.id == "sha1:" + hashlib.sha1(b"Same text.").hexdigest()[:16]


def test_io_text_and_id_columns_for_jsonl_csv_parquet(tmp_path: Path) -> None:
    rows = [
        {"doc": "d1", "body": "First body.", "other": 1},
        {"doc": "d2", "body": "Second body.", "other": 2},
    ]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["doc", "body", "other"])
        writer.writeheader()
        writer.writerows(rows)
    _write_parquet(tmp_path / "t.parquet", rows)
    for name in ("t.jsonl", "t.csv", "t.parquet"):
        items = list(iter_articles([tmp_path / name], text_column="body", id_column="doc"))
        assert [(a.id, a.text, a.source) for a in items] == [
            ("d1", "First body.", name),
            ("d2", "Second body.", name),
        ], name


def test_io_csv_multiline_fields_tsv_and_default_id(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('text,id\n"Line one,\nline two.",\n"Plain.",p7\n', "utf-8")
    items = list(iter_articles([path]))
    assert [a.text for a in items] == ["Line one,\nline two.", "Plain."]
    assert [a.id for a in items] == [content_id("Line one,\nline two."), "p7"]
    tsv = tmp_path / "t.tsv"
    tsv.write_text("id\ttext\nk\tTab separated.\n", "utf-8")
    assert [(a.id, a.text) for a in iter_articles([tsv])] == [("k", "Tab separated.")]


def test_io_broken_csv_rows_are_errors_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b'id,text\nok1,"Fine."\nx,"bad"quote\nshort\nu,caf\xe9\nok2,"Also fine."\n')
    items = list(iter_articles([path]))
    kinds = [(type(i).__name__, i.id) for i in items]
    assert kinds == [
        ("Article", "ok1"),
        ("ArticleError", "bad.csv:3"),
        ("ArticleError", "bad.csv:4"),
        ("ArticleError", "bad.csv:5"),
        ("Article", "ok2"),
    ]
    assert "broken CSV row" in items[1].message
    assert "1 fields, the header has 2" in items[2].message
    assert "not valid UTF-8" in items[3].message


def test_io_table_without_the_text_column_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,body\n1,x\n", "utf-8")
    with pytest.raises(InputError, match="no column 'text'"):
        list(iter_articles([tmp_path / "t.csv"]))
    _write_parquet(tmp_path / "t.parquet", [{"body": "x"}])
    with pytest.raises(InputError, match="no column 'text'"):
        list(iter_articles([tmp_path / "t.parquet"]))
    with pytest.raises(InputError, match="no column 'doc'"):
        list(iter_articles([tmp_path / "t.parquet"], text_column="body", id_column="doc"))


def test_io_parquet_null_text_and_corrupt_file_are_errors(tmp_path: Path) -> None:
    _write_parquet(tmp_path / "p.parquet", [{"id": "a", "text": "A."}, {"id": "b", "text": None}])
    (tmp_path / "q.parquet").write_bytes(b"not parquet at all")
    items = list(iter_articles([tmp_path / "p.parquet", tmp_path / "q.parquet"]))
    assert [(type(i).__name__, i.id) for i in items] == [
        ("Article", "a"),
        ("ArticleError", "p.parquet:2"),
        ("ArticleError", "q.parquet"),
    ]
    assert "no text" in items[1].message and "as Parquet" in items[2].message


def test_io_undecodable_jsonl_line_is_an_error_not_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "u.jsonl"
    path.write_bytes(b'{"id": "a", "text": "caf\xe9"}\n{"id": "b", "text": "ok"}\n')
    items = list(iter_articles([path]))
    assert [(type(i).__name__, i.id) for i in items] == [
        ("ArticleError", "u.jsonl:1"),
        ("Article", "b"),
    ]
    assert "not valid UTF-8" in items[0].message


def test_io_oversized_text_file_is_reported_without_reading(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 500, "utf-8")
    (item,) = iter_articles([tmp_path / "big.txt"], max_chars=100)
    assert isinstance(item, ArticleError) and item.code == "SW102"
    (ok,) = iter_articles([tmp_path / "big.txt"], max_chars=125)  # 4 bytes/char bound
    assert isinstance(ok, Article)


def test_io_directories_read_every_format_and_skip_excluded(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A.", "utf-8")
    (tmp_path / "b.csv").write_text("id,text\nb1,B.\n", "utf-8")
    _write_parquet(tmp_path / "c.parquet", [{"id": "c1", "text": "C."}])
    (tmp_path / "out.jsonl").write_text('{"id": "old", "text": "own output"}\n', "utf-8")
    items = list(iter_articles([tmp_path], exclude=[tmp_path / "out.jsonl"]))
    assert [a.id for a in items] == ["a", "b1", "c1"]
    assert count_articles([tmp_path], exclude=[tmp_path / "out.jsonl"]) == 3
    assert count_articles([tmp_path]) == 4


def test_io_unique_ids_number_repeats_in_input_order(tmp_path: Path) -> None:
    for sub in ("x", "y", "z"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "same.txt").write_text(f"Text {sub}.", "utf-8")
    (tmp_path / "w.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in [("same#2", "A"), ("q", "B")]),
        "utf-8",
    )
    ids = [a.id for a in unique_ids(iter_articles([tmp_path]))]
    # files: w.jsonl (same#2, q), then x/same, y/same, z/same
    assert ids == ["same#2", "q", "same", "same#3", "same#4"]
    assert len(set(ids)) == len(ids)
