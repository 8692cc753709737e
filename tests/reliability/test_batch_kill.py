"""A batch run SIGKILLed at random points, trial after trial, ends with one record per article.

Each trial starts ``tests.reliability.batch_child`` (the real batch driver with a
stand-in pipeline, see there) with ``--resume`` and kills it after a random
number of records plus a random few milliseconds, so kills land before the
files exist, between records, inside a chunk and during the final conversion.
After every kill the files hold only whole records, with at most a cut-short
last line (a kill can interrupt a large ``write``), which the next resume
drops. The final files are then compared with those of an uninterrupted run.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stancewire.models.batch.formats import errors_path, journal_path
from stancewire.models.batch.runner import BatchJob, LocalEngine, run_batch
from stancewire.models.batch.worker import TEST_DELAY_ENV, PipelineSpec
from stancewire.models.io import iter_articles, unique_ids
from tests.reliability.batch_child import TARGETS, EchoPipeline

ROOT = Path(__file__).resolve().parents[2]
N_ARTICLES = 60
TRIALS = 5


def write_corpus(path: Path) -> list[str]:
    """A JSONL corpus with large and small articles, broken lines, failures and a repeated id.

    Returns every id the run must account for, in input order.
    """
    rng = random.Random(7)
    lines = []
    for i in range(N_ARTICLES):
        size = rng.choice((60, 400, 3000, 60_000))  # some records span many pages
        body = f"Article {i} says " + "".join(rng.choice("abc \n“”") for _ in range(size))
        if i in (11, 40):
            body += " FAIL"
        lines.append(json.dumps({"id": f"a{i:02d}" if i != 33 else "a05", "text": body}))
    for at in (5, 23, 51):
        lines.insert(at, '{"id": "broken", "text": "no end')
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return [item.id for item in unique_ids(iter_articles([str(path)]))]


def whole_lines(path: Path) -> tuple[list[dict], int]:
    """The records of a journal and the length of a cut-short last line (0 if none)."""
    if not path.exists():
        return [], 0
    data = path.read_bytes()
    body, _, tail = data.rpartition(b"\n")
    records = [json.loads(line) for line in body.split(b"\n") if line] if body else []
    if not body and data and not data.endswith(b"\n"):
        records, tail = [], data
    return records, len(tail)


def lines_in(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def child(source: Path, output: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tests.reliability.batch_child", str(source), str(output)]
    env = {**os.environ, TEST_DELAY_ENV: "0.01", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [*cmd, "--resume"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def kill_at_random(source: Path, output: Path, rng: random.Random, total: int) -> int:
    """Run the child and SIGKILL it after a random number of new records; returns that target.

    The number is drawn from what is left to do (0: killed while starting or
    repairing), so every trial makes some progress at a different point.
    """
    journal, errors = journal_path(output), errors_path(output)
    done = lines_in(journal) + lines_in(errors)
    target = done + rng.randrange(0, max(1, (total - done) // 2))
    proc = child(source, output)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if lines_in(journal) + lines_in(errors) >= target:
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        out, _ = proc.communicate()
    assert proc.returncode in (0, -signal.SIGKILL), out.decode(errors="replace")
    return target


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_killed_runs_resume_to_exactly_one_record_per_article(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "corpus.jsonl"
    expected = write_corpus(source)
    assert len(expected) == N_ARTICLES + 3 and "a05#2" in expected
    output = tmp_path / f"out.{fmt}"
    journal, errors = journal_path(output), errors_path(output)
    rng = random.Random(f"kill-{fmt}")
    targets = []
    for _ in range(TRIALS):
        targets.append(kill_at_random(source, output, rng, len(expected)))
        done: list[str] = []
        for path in (journal, errors):
            records, _partial = whole_lines(path)  # raises on a torn record mid-file
            done += [r["id"] for r in records]
        assert len(done) == len(set(done)), f"a record was written twice: {sorted(done)}"
        assert set(done) <= set(expected)
    assert len(set(targets)) > 1, "the kills should land at different points"

    final = child(source, output)
    out, _ = final.communicate(timeout=120)
    assert final.returncode == 0, out.decode(errors="replace")

    records, partial = whole_lines(journal)
    failed, partial_err = whole_lines(errors)
    assert partial == partial_err == 0
    ok_ids = [r["id"] for r in records]
    err_ids = [r["id"] for r in failed]
    # exactly one record per article, each in input order within its file
    assert sorted(ok_ids + err_ids) == sorted(expected)
    assert ok_ids == [i for i in expected if i in set(ok_ids)]
    assert set(err_ids) == {"a11", "a40", "corpus.jsonl:6", "corpus.jsonl:24", "corpus.jsonl:52"}

    # the same records as a run that was never interrupted
    straight = tmp_path / f"straight.{fmt}"
    spec = PipelineSpec(targets=TARGETS)
    job = BatchJob(inputs=[str(source)], output=straight, spec=spec, chunk_size=3)
    run_batch(job, engine=LocalEngine(spec, pipeline=EchoPipeline()))
    assert journal.read_bytes() == journal_path(straight).read_bytes()
    if fmt == "csv":
        with output.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["article_id"] for r in rows] == ok_ids  # one quote per article
        assert output.read_bytes() == straight.read_bytes()
        assert not output.with_name(output.name + ".tmp").exists()
