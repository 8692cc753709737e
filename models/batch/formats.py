"""Output formats of a batch run, chosen by the output file's extension.

- ``.jsonl`` / ``.ndjson``: one ``LabelledArticle`` per line (ANNOTATION.md
  section 6 plus extras). The output file is itself the run's journal.
- ``.csv``: one row per quote, with its article's id and source, flat columns
  (``stance_<target>``, ``confidence_<task>``); articles without quotes have
  no row.
- ``.parquet`` / ``.pq``: one row per article, lossless: ``quotes`` and
  ``speakers`` are lists of structs (``pandas.read_parquet(p).explode("quotes")``
  gives one row per quote).

CSV and Parquet cannot be appended to crash-safely, so a run writes the JSONL
journal ``OUT.journal.jsonl`` beside them and converts it when it finishes;
the journal stays, as the source of truth for ``--resume`` and ``report``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from stancewire.models.errors import ConfigError

OutputFormat = Literal["jsonl", "csv", "parquet"]

FORMAT_BY_SUFFIX: dict[str, OutputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
PARQUET_ROW_GROUP = 1000


def output_format(path: Path) -> OutputFormat:
    """The format named by ``path``'s extension.

    Raises:
        ConfigError: an extension no writer handles (rather than, say, JSON Lines
            silently written to ``out.xlsx``).
    """
    fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(FORMAT_BY_SUFFIX)
        raise ConfigError(f"cannot tell the output format of {path}: use one of {known}")
    return fmt


def journal_path(output: Path) -> Path:
    """Where a run journals its records: the output itself for JSONL, else beside it."""
    if output_format(output) == "jsonl":
        return output
    return output.with_name(output.stem + ".journal.jsonl")


def errors_path(output: Path) -> Path:
    """The default errors file of an output: ``OUT.errors.jsonl``."""
    return output.with_name(output.stem + ".errors.jsonl")


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSONL file as dicts (blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


CSV_QUOTE_FIELDS = ("text", "kind", "speaker", "speaker_type", "affiliation")


def csv_columns(targets: Sequence[str]) -> list[str]:
    """Header of the per-quote CSV for these targets."""
    return [
        "article_id",
        "source",
        "quote_index",
        *CSV_QUOTE_FIELDS,
        "speaker_aliases",
        *(f"stance_{t}" for t in targets),
        "sentiment",
        *(f"confidence_{t}" for t in targets),
        "confidence_sentiment",
        "start",
        "end",
        "model",
    ]


def quote_rows(record: dict[str, Any], targets: Sequence[str]) -> Iterator[list[Any]]:
    """The CSV rows of one article record, one per quote."""
    for i, q in enumerate(record.get("quotes", [])):
        confidence = q.get("confidence") or {}
        yield [
            record["id"],
            record.get("source"),
            i,
            *(q.get(f) for f in CSV_QUOTE_FIELDS),
            "; ".join(q.get("speaker_aliases") or []),
            *(q.get("stance", {}).get(t) for t in targets),
            q.get("sentiment"),
            *(confidence.get(t) for t in targets),
            confidence.get("sentiment"),
            q.get("start"),
            q.get("end"),
            record.get("model"),
        ]


def write_csv(records: Iterable[dict[str, Any]], path: Path, targets: Sequence[str]) -> int:
    """Write the per-quote CSV; returns the number of rows."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_columns(targets))
        for record in records:
            for row in quote_rows(record, targets):
                writer.writerow(["" if v is None else v for v in row])
                n += 1
    return n


def parquet_schema(targets: Sequence[str]) -> Any:
    """An explicit Arrow schema for article records, so that a column that is null
    in the first row group (say, every affiliation) still has its real type."""
    import pyarrow as pa

    string_list = pa.list_(pa.string())
    int_list = pa.list_(pa.int64())

    def per_target(value: Any, extra: Sequence[str] = ()) -> Any:
        # A struct with a field per target reads best (quotes.stance.militias);
        # with no target known (a corpus without a single quote) Parquet cannot
        # store an empty struct, and a map stands in.
        names = [*targets, *extra]
        return pa.struct([(t, value) for t in names]) if targets else pa.map_(pa.string(), value)

    stance = per_target(pa.string())
    quote = pa.struct(
        [
            ("text", pa.string()),
            ("kind", pa.string()),
            ("speaker", pa.string()),
            ("speaker_aliases", string_list),
            ("speaker_type", pa.string()),
            ("affiliation", pa.string()),
            ("stance", stance),
            ("sentiment", pa.string()),
            ("start", pa.int64()),
            ("end", pa.int64()),
            ("confidence", per_target(pa.float64(), ["sentiment"])),
        ]
    )
    speaker = pa.struct(
        [
            ("speaker", pa.string()),
            ("speaker_aliases", string_list),
            ("speaker_type", pa.string()),
            ("affiliation", pa.string()),
            ("n_quotes", pa.int64()),
            ("quotes", int_list),
            ("stance", stance),
            ("evidence", per_target(int_list)),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("text", pa.string()),
            ("quotes", pa.list_(quote)),
            ("speakers", pa.list_(speaker)),
            ("model", pa.string()),
        ]
    )


def write_parquet(records: Iterable[dict[str, Any]], path: Path, targets: Sequence[str]) -> int:
    """Write one row per article, in row groups; returns the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(targets)
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        group: list[dict[str, Any]] = []
        for record in records:
            group.append(record)
            if len(group) >= PARQUET_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                n += len(group)
                group = []
        if group or n == 0:
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
            n += len(group)
    return n


def convert(journal: Path, output: Path, targets: Sequence[str]) -> int:
    """Write ``output`` (CSV or Parquet, by extension) from a JSONL journal.

    Written to a temporary file and renamed into place, so a crash during
    conversion leaves the previous output (or none), never a truncated one.
    Returns the number of rows written.
    """
    fmt = output_format(output)
    tmp = output.with_name(output.name + ".tmp")
    if fmt == "csv":
        n = write_csv(iter_records(journal), tmp, targets)
    elif fmt == "parquet":
        n = write_parquet(iter_records(journal), tmp, targets)
    else:
        raise ValueError(f"{output} is JSON Lines: the journal is the output")
    os.replace(tmp, output)
    return n
