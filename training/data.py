"""Labelled training statements: loading, validation and the held-out split.

The statements are authored for this project (see ``training/data/DATA.md``)
and kept apart from every evaluation set. Each JSONL row is one statement with
its context, speaker and labels; ``load_statements`` validates every row before
any training starts, so a typo fails fast with its file and line.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError, field_validator

from stancewire.models.errors import TrainingDataError
from stancewire.models.schema import SentimentLabel, StanceLabel


class Statement(BaseModel):
    """One authored, labelled statement."""

    id: str
    quote: str
    context: str
    speaker: str
    speaker_type: Literal["person", "organization", "unnamed"]
    affiliation: str | None = None
    kind: Literal["direct", "indirect"]
    stance: dict[str, StanceLabel]
    sentiment: SentimentLabel
    period: str = ""
    hard_case: str | None = None

    @field_validator("quote")
    @classmethod
    def _non_empty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("empty quote")
        return v


def statement_files(data_dir: Path) -> list[Path]:
    """The JSONL files of a data directory, in a stable order."""
    return sorted(Path(data_dir).glob("*.jsonl"))


def load_statements(paths: Iterable[Path], *, targets: Iterable[str] = ()) -> list[Statement]:
    """Read and validate statements from JSONL files.

    Raises:
        TrainingDataError: a row is not valid JSON, misses a field, has an
            unknown label, lacks a requested target, or repeats an id.
    """
    rows: list[Statement] = []
    seen: set[str] = set()
    wanted = list(targets)
    for path in paths:
        for lineno, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = Statement.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as err:
                raise TrainingDataError(f"{path}:{lineno}: {err}") from err
            missing = [t for t in wanted if t not in row.stance]
            if missing:
                raise TrainingDataError(f"{path}:{lineno}: no stance for {missing}")
            if row.id in seen:
                raise TrainingDataError(f"{path}:{lineno}: duplicate id {row.id!r}")
            seen.add(row.id)
            rows.append(row)
    if not rows:
        raise TrainingDataError("no training statements found")
    return rows


def data_fingerprint(paths: Iterable[Path]) -> str:
    """SHA-256 over the data files, recorded in the model for provenance."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def describe(rows: Iterable[Statement]) -> str:
    """A Markdown summary of label and kind distributions (for the datasheet)."""
    rows = list(rows)
    n = len(rows)
    lines = [f"{n} statements.", "", "| field | " + " | ".join(["value (share)"] * 3) + " |"]
    lines.append("|---|---|---|---|")
    fields = {
        "us_presence": [r.stance.get("us_presence", "none") for r in rows],
        "militias": [r.stance.get("militias", "none") for r in rows],
        "sentiment": [r.sentiment for r in rows],
        "kind": [r.kind for r in rows],
        "speaker_type": [r.speaker_type for r in rows],
    }
    for name, values in fields.items():
        counts = Counter(values).most_common()
        cells = [f"{k} {v} ({v / n:.0%})" for k, v in counts] + [""] * (3 - len(counts))
        lines.append(f"| {name} | " + " | ".join(cells[:3]) + " |")
    hard = Counter(r.hard_case for r in rows if r.hard_case)
    lines += ["", f"Hard cases: {sum(hard.values())} ({sum(hard.values()) / n:.0%}):"]
    lines.append(", ".join(f"{k} {v}" for k, v in hard.most_common()))
    return "\n".join(lines)


if __name__ == "__main__":  # python -m stancewire.training.data [DIR_OR_FILES...]
    import sys

    from stancewire.training.args import DATA_DIR

    targets = [Path(a) for a in sys.argv[1:]] or [DATA_DIR]
    files = [f for t in targets for f in (statement_files(t) if t.is_dir() else [t])]
    sys.stdout.write(describe(load_statements(files)) + "\n")
