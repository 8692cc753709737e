from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from stancewire.models.errors import InputError
from stancewire.models.io import iter_articles
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
