"""Reading articles from files, directories, globs, JSON Lines, CSV, Parquet and stdin.

Reading never stops on a bad item: an unreadable file, undecodable bytes, a
malformed JSON line or a broken CSV row becomes an ``ArticleError`` in the
stream, so a corpus of 10,000 articles with one broken file still yields 9,999
articles and one error record. Only usage errors raise (a path that does not
exist, a glob that matches nothing, a table without the requested column):
those are the user's to fix before any work is worth doing.

Article identity, which resumable batch runs rely on:

- a text or HTML file is identified by its file stem;
- a JSONL object or table row by its id field (``--id-column``, default ``id``)
  or, without one, by a hash of its text (:func:`content_id`), so the id stays
  the same when the file is re-ordered or appended to;
- a row that cannot be read at all by ``FILE:LINE`` (``FILE:ROW`` for Parquet);
- :func:`unique_ids` then makes ids unique within a run: the second article
  with id ``x`` becomes ``x#2``, the third ``x#3``, in input order.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import json
import sys
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from stancewire.models.errors import ArticleTooLargeError, InputError
from stancewire.models.schema import Article, ArticleError

TEXT_SUFFIXES = {".txt", ".text", ".html", ".htm", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
INPUT_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES | PARQUET_SUFFIXES

# UTF-8 needs at most 4 bytes per character: a file larger than this many bytes
# per allowed character is over the limit whatever it holds, and is not read.
_MAX_BYTES_PER_CHAR = 4
_GLOB_CHARS = frozenset("*?[")

Item = Article | ArticleError


def content_id(text: str) -> str:
    """The id of an article that came without one: ``sha1:`` + 16 hex digits of its text.

    64 bits keep collisions out of reach for any realistic corpus (a billion
    articles give odds of about 3 in 100,000) while staying short enough to read.
    """
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return "sha1:" + digest.hexdigest()[:16]


def unique_ids(items: Iterable[Item]) -> Iterator[Item]:
    """Rename repeated ids: the n-th item with id ``x`` becomes ``x#n`` (n >= 2).

    Deterministic for the same inputs in the same order, which is what lets a
    resumed run recognise the articles it already labelled. A generated name
    that is itself taken gets the next free number.
    """
    emitted: set[str] = set()
    last_suffix: dict[str, int] = {}
    for item in items:
        new_id = item.id
        if new_id in emitted:
            n = last_suffix.get(item.id, 1)
            while new_id in emitted:
                n += 1
                new_id = f"{item.id}#{n}"
            last_suffix[item.id] = n
            item = item.model_copy(update={"id": new_id})
        emitted.add(new_id)
        yield item


def _error(item_id: str, source: str, message: str, code: str = InputError.code) -> ArticleError:
    return ArticleError(id=item_id, source=source, code=code, message=message)


def _has_surrogates(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (decoded with surrogateescape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read_text_file(path: Path, max_chars: int | None = None) -> Item:
    if max_chars is not None:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # reported by the read below
        if size > max_chars * _MAX_BYTES_PER_CHAR:
            return _error(
                path.stem,
                path.name,
                f"{path} has {size} bytes; the limit is {max_chars} characters",
                ArticleTooLargeError.code,
            )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        return _error(path.stem, path.name, f"{path} is not valid UTF-8 (byte {err.start})")
    except OSError as err:
        return _error(path.stem, path.name, f"cannot read {path}: {err.strerror}")
    return Article(id=path.stem, text=text, source=path.name)


def _row_article(
    row: dict[str, Any], *, text_column: str, id_column: str | None, source: str
) -> Article:
    """Build an article from a JSON object or table row (already checked to have text)."""
    raw_id = row.get(id_column or "id")
    text = row[text_column]
    article_id = content_id(text) if raw_id is None or raw_id == "" else str(raw_id)
    row_source = row.get("source")
    return Article(
        id=article_id,
        text=text,
        source=row_source if isinstance(row_source, str) and row_source else source,
    )


def _read_jsonl(
    lines: Iterable[str | bytes],
    name: str,
    *,
    text_column: str = "text",
    id_column: str | None = None,
) -> Iterator[Item]:
    for lineno, raw_line in enumerate(lines, 1):
        item_id = f"{name}:{lineno}"
        if isinstance(raw_line, bytes):
            try:
                line = raw_line.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as err:
                yield _error(
                    item_id, name, f"{name} line {lineno}: not valid UTF-8 (byte {err.start})"
                )
                continue
        else:
            line = raw_line
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("line is not a JSON object")
            if text_column not in raw:
                yield _error(item_id, name, f"{name} line {lineno}: field {text_column!r}: missing")
                continue
            if not isinstance(raw[text_column], str):
                yield _error(
                    item_id, name, f"{name} line {lineno}: field {text_column!r}: not a string"
                )
                continue
            # JSON may spell a lone surrogate ("\ud800"); Python accepts it, but no
            # encoder does: spaCy and the output writer would fail on it later.
            bad = [
                key
                for key in dict.fromkeys((text_column, id_column or "id", "source"))
                if isinstance(raw.get(key), str) and _has_surrogates(raw[key])
            ]
            if bad:
                yield _error(
                    item_id,
                    name,
                    f"{name} line {lineno}: field {bad[0]!r}: not valid Unicode "
                    "(a lone surrogate escape such as \\ud800)",
                )
                continue
            yield _row_article(raw, text_column=text_column, id_column=id_column, source=name)
        except (json.JSONDecodeError, ValueError, ValidationError) as err:
            detail = err.errors()[0]["msg"] if isinstance(err, ValidationError) else str(err)
            field = (
                ".".join(str(x) for x in err.errors()[0]["loc"])
                if isinstance(err, ValidationError)
                else None
            )
            message = f"{name} line {lineno}: " + (f"field {field!r}: " if field else "") + detail
            yield _error(item_id, name, message)


def _decoded_lines(path: Path) -> Iterator[str]:
    """The file's lines as text; bytes that are not UTF-8 survive as surrogates so the
    one row holding them can be reported instead of the whole file failing."""
    with path.open("rb") as fh:
        for i, line in enumerate(fh):
            if i == 0 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            yield line.decode("utf-8", "surrogateescape")


def _read_csv(path: Path, *, text_column: str, id_column: str | None) -> Iterator[Item]:
    """One article per row of a CSV (or, for ``.tsv``, tab-separated) file with a header.

    A row that does not parse or has the wrong number of fields is an error
    record and reading goes on with the next row.
    """
    name = path.name
    # Articles are long: the csv module's default cap of 131,072 characters per
    # field would reject legitimate ones (the pipeline applies its own limit).
    csv.field_size_limit(2**31 - 1)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(_decoded_lines(path), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as err:
        raise InputError(f"{path}: cannot read the header row: {err}") from err
    if text_column not in header:
        raise InputError(f"{path} has no column {text_column!r} (columns: {header})")
    if id_column is not None and id_column not in header:
        raise InputError(f"{path} has no column {id_column!r} (columns: {header})")
    while True:
        lineno = reader.line_num + 1
        item_id = f"{name}:{lineno}"
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield _error(item_id, name, f"{name} line {lineno}: broken CSV row: {err}")
            continue
        if not values:
            continue
        if len(values) != len(header):
            yield _error(
                item_id,
                name,
                f"{name} line {lineno}: broken CSV row: {len(values)} fields, "
                f"the header has {len(header)}",
            )
            continue
        row = dict(zip(header, values, strict=True))
        if any(_has_surrogates(v) for v in values):
            yield _error(item_id, name, f"{name} line {lineno}: not valid UTF-8")
            continue
        yield _row_article(row, text_column=text_column, id_column=id_column, source=name)


def _read_parquet(path: Path, *, text_column: str, id_column: str | None) -> Iterator[Item]:
    """One article per row, read in record batches so a large file never sits in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    try:
        pfile = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        yield _error(name, name, f"cannot read {path} as Parquet: {err}")
        return
    columns = pfile.schema_arrow.names
    if text_column not in columns:
        raise InputError(f"{path} has no column {text_column!r} (columns: {columns})")
    if id_column is not None and id_column not in columns:
        raise InputError(f"{path} has no column {id_column!r} (columns: {columns})")
    wanted = [c for c in (text_column, id_column or "id", "source") if c in columns]
    rowno = 0
    for batch in pfile.iter_batches(batch_size=1024, columns=list(dict.fromkeys(wanted))):
        for row in batch.to_pylist():
            rowno += 1
            item_id = f"{name}:{rowno}"
            text = row.get(text_column)
            if isinstance(text, bytes):
                try:
                    row[text_column] = text = text.decode("utf-8")
                except UnicodeDecodeError as err:
                    yield _error(
                        item_id, name, f"{name} row {rowno}: not valid UTF-8 (byte {err.start})"
                    )
                    continue
            if not isinstance(text, str):
                yield _error(item_id, name, f"{name} row {rowno}: no text in {text_column!r}")
                continue
            yield _row_article(row, text_column=text_column, id_column=id_column, source=name)


def _expand(item: str | Path, exclude: Collection[Path]) -> list[Path]:
    """A path, a directory (its supported files, recursively) or a glob -> files, sorted."""
    path = Path(item)
    if not path.exists() and _GLOB_CHARS & set(str(item)):
        matches = sorted(Path(p) for p in glob.glob(str(item), recursive=True))
        if not matches:
            raise InputError(f"no files match {item}")
        files: list[Path] = []
        for match in matches:
            files.extend(_expand(match, exclude) if match.is_dir() else [match])
        return [f for f in files if f.resolve() not in exclude]
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES and p.resolve() not in exclude
        )
    if not path.exists():
        raise InputError(f"input not found: {path}")
    return [] if path.resolve() in exclude else [path]


def iter_articles(
    inputs: Iterable[str | Path],
    *,
    stdin: IO[str] | None = None,
    text_column: str = "text",
    id_column: str | None = None,
    max_chars: int | None = None,
    exclude: Iterable[str | Path] = (),
) -> Iterator[Item]:
    """Yield articles from files, directories (recursively), globs or ``-`` (stdin).

    Plain-text and HTML files become one article each, with the file stem as
    ``id``. JSONL lines are objects and CSV (``.csv``, ``.tsv``) and Parquet
    (``.parquet``, ``.pq``) files are tables: the text comes from
    ``text_column``, the id from ``id_column`` (default: ``id`` when present,
    else the content hash), the source from a ``source`` field when present,
    else the file name. ``-`` reads stdin: JSON Lines if its first non-blank
    character is ``{``, otherwise one article.

    Args:
        max_chars: when given, a text file with more bytes than could fit in
            ``max_chars`` characters is reported as too large without being read.
        exclude: paths never read as input (a batch run's own output files,
            when they sit in an input directory).

    Raises:
        InputError: an input path does not exist, a glob matches nothing, or a
            table lacks the requested column (usage errors, not bad articles).
    """
    excluded = {Path(p).resolve() for p in exclude}
    for item in inputs:
        if str(item) == "-":
            stream = stdin or sys.stdin
            data = stream.read()
            if data.lstrip().startswith("{"):
                yield from _read_jsonl(
                    data.splitlines(), "stdin", text_column=text_column, id_column=id_column
                )
            else:
                yield Article(id="stdin", text=data, source="stdin")
            continue
        for path in _expand(item, excluded):
            suffix = path.suffix.lower()
            if suffix in JSONL_SUFFIXES:
                with path.open("rb") as fh:
                    yield from _read_jsonl(
                        fh, path.name, text_column=text_column, id_column=id_column
                    )
            elif suffix in CSV_SUFFIXES:
                yield from _read_csv(path, text_column=text_column, id_column=id_column)
            elif suffix in PARQUET_SUFFIXES:
                yield from _read_parquet(path, text_column=text_column, id_column=id_column)
            else:
                yield _read_text_file(path, max_chars)


def write_jsonl(record: BaseModel, fh: IO[str]) -> None:
    """Write one record as one JSON line and flush, so a crash never leaves half a line."""
    fh.write(record.model_dump_json(exclude_none=False) + "\n")
    fh.flush()


def check_inputs(inputs: Iterable[str | Path]) -> None:
    """Fail now, before any model loads, if an input path is missing or a glob matches nothing.

    Raises:
        InputError: as :func:`iter_articles` would, later.
    """
    for item in inputs:
        if str(item) != "-":
            _expand(item, set())


def count_articles(
    inputs: Iterable[str | Path],
    *,
    text_column: str = "text",
    exclude: Iterable[str | Path] = (),
) -> int:
    """About how many items :func:`iter_articles` will yield, cheaply (for a progress bar).

    Text files count one each without being read, JSONL files their non-blank
    lines, Parquet files the row count in their metadata; CSV files are parsed
    (a quoted field may span lines). Broken rows count as items, as they become
    error records. Stdin (``-``) cannot be read twice and counts as 0.
    """
    excluded = {Path(p).resolve() for p in exclude}
    total = 0
    for item in inputs:
        if str(item) == "-":
            continue
        for path in _expand(item, excluded):
            suffix = path.suffix.lower()
            try:
                if suffix in JSONL_SUFFIXES:
                    with path.open("rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                elif suffix in CSV_SUFFIXES:
                    delimiter = "\t" if suffix == ".tsv" else ","
                    csv.field_size_limit(2**31 - 1)
                    rows = csv.reader(_decoded_lines(path), delimiter=delimiter)
                    total += max(0, sum(1 for row in rows if row) - 1)
                elif suffix in PARQUET_SUFFIXES:
                    import pyarrow.parquet as pq

                    total += pq.ParquetFile(path).metadata.num_rows
                else:
                    total += 1
            except Exception:  # noqa: BLE001 - a file that cannot be counted is read (and reported) later
                total += 1
    return total
