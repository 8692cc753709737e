"""Reading articles from files, directories, JSON Lines and stdin; writing results.

Reading never stops on a bad item: an unreadable file or a malformed JSON line
becomes an ``ArticleError`` in the stream, so a corpus of 10,000 articles with
one broken file still yields 9,999 results and one error record.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ValidationError

from stancewire.models.errors import InputError
from stancewire.models.schema import Article, ArticleError

TEXT_SUFFIXES = {".txt", ".text", ".html", ".htm", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


def _read_text_file(path: Path) -> Article | ArticleError:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        return ArticleError(
            id=path.stem,
            source=path.name,
            code=InputError.code,
            message=f"{path} is not valid UTF-8 (byte {err.start})",
        )
    except OSError as err:
        return ArticleError(
            id=path.stem,
            source=path.name,
            code=InputError.code,
            message=f"cannot read {path}: {err.strerror}",
        )
    return Article(id=path.stem, text=text, source=path.name)


def _read_jsonl(lines: Iterable[str], name: str) -> Iterator[Article | ArticleError]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item_id = f"{name}:{lineno}"
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("line is not a JSON object")
            raw.setdefault("id", item_id)
            raw["id"] = str(raw["id"])
            raw.setdefault("source", name)
            yield Article.model_validate(raw)
        except (json.JSONDecodeError, ValueError, ValidationError) as err:
            detail = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
            field = (
                ".".join(str(x) for x in err.errors()[0]["loc"])
                if isinstance(err, ValidationError)
                else None
            )
            message = f"{name} line {lineno}: " + (f"field {field!r}: " if field else "") + detail
            yield ArticleError(id=item_id, source=name, code=InputError.code, message=message)


def iter_articles(
    inputs: Iterable[str | Path], *, stdin: IO[str] | None = None
) -> Iterator[Article | ArticleError]:
    """Yield articles from files, directories (recursively), JSONL files or ``-``.

    Plain-text and HTML files become one article each, with the file stem as
    ``id``; JSONL lines are ``{"id", "text"}`` objects. ``-`` reads stdin: JSON
    Lines if its first non-blank character is ``{``, otherwise one article.

    Raises:
        InputError: an input path does not exist (a usage error, not a bad article).
    """
    for item in inputs:
        if str(item) == "-":
            stream = stdin or sys.stdin
            data = stream.read()
            if data.lstrip().startswith("{"):
                yield from _read_jsonl(data.splitlines(), "stdin")
            else:
                yield Article(id="stdin", text=data, source="stdin")
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES
            )
            yield from iter_articles(files, stdin=stdin)
        elif path.suffix.lower() in JSONL_SUFFIXES and path.is_file():
            with path.open(encoding="utf-8", errors="replace") as fh:
                yield from _read_jsonl(fh, path.name)
        elif path.is_file():
            yield _read_text_file(path)
        else:
            raise InputError(f"input not found: {path}")


def write_jsonl(record: BaseModel, fh: IO[str]) -> None:
    """Write one record as one JSON line and flush, so a crash never leaves half a line."""
    fh.write(record.model_dump_json(exclude_none=False) + "\n")
    fh.flush()
