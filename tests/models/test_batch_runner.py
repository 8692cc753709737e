"""Batch runs end to end on the tiny model: mixed inputs, bad articles, workers, resume.

One labelled mixed corpus (``reference``) is shared by the module; other runs
are compared to it byte for byte, which is what "same records" means.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.models.batch.runner import BatchJob, LocalEngine, run_batch
from stancewire.models.batch.worker import (
    DEFAULT_MAX_CHARS,
    TEST_DELAY_ENV,
    PipelineSpec,
    label_chunk,
)
from stancewire.models.errors import ConfigError, ModelLoadError
from stancewire.models.io import content_id
from stancewire.models.schema import Article, ArticleError, LabelledArticle

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
runner = CliRunner()
MAX_CHARS = 3000  # small, so that a seed article and one JSONL row are "too large"

SPEAKERS = [
    ("Ali Hussein", "a lawmaker from the Fatah Alliance"),
    ("John Kirby", "a Pentagon spokesman"),
    ("Rend al-Rahim", "a former ambassador"),
    ("Qais al-Khazali", "the leader of Asaib Ahl al-Haq"),
]


def synthetic(i: int) -> str:
    """A short article with two attributed quotes; the day makes each text unique."""
    name, role = SPEAKERS[i % len(SPEAKERS)]
    return (
        f"BAGHDAD - Talks continued on day {i}.\n\n"
        f'"US forces must leave Iraq now," said {name}, {role}.\n\n'
        f'"The factions must be disarmed," {name.split()[-1]} added.'
    )


def build_mixed_corpus(root: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """Write a corpus in every input format, with bad articles of every kind.

    Returns the CLI inputs, the ids expected in the output (input order) and
    the expected error codes by id.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = root / "texts"
    (texts / "sub").mkdir(parents=True)
    (texts / "a_seed.txt").write_text(SEEDS[0].read_text("utf-8"), "utf-8")
    (texts / "b_big.txt").write_text(SEEDS[4].read_text("utf-8"), "utf-8")  # > 4 * MAX_CHARS bytes
    (texts / "c_bytes.txt").write_bytes(b"caf\xe9 \xff\xfe said nothing")
    (texts / "d_empty.txt").write_text("   \n\n  ", "utf-8")
    (texts / "e_page.html").write_text(
        "<html><body><nav>Home</nav><p>" + synthetic(100) + "</p></body></html>", "utf-8"
    )
    (texts / "f_script.html").write_text("<script>var x = 1;</script><style>p{}</style>", "utf-8")
    (texts / "sub" / "g_deep.txt").write_text(synthetic(101), "utf-8")
    feed = [
        json.dumps({"id": "j1", "text": synthetic(1)}),
        json.dumps({"text": synthetic(2)}),  # no id: content hash
        "{not json",
        json.dumps({"id": "j4", "text": "x" * (MAX_CHARS + 1)}),
        json.dumps({"id": "j1", "text": synthetic(3)}),  # repeated id: j1#2
    ]
    (root / "feed.jsonl").write_text("\n".join(feed) + "\n", "utf-8")
    with (root / "table.csv").open("w", newline="", encoding="utf-8") as fh:
        fh.write('id,text\nc1,"' + synthetic(4).replace('"', '""') + '"\n')
        fh.write('c2,"broken"row\n')
        fh.write('c3,"' + synthetic(5).replace('"', '""') + '"\n')
    pq.write_table(
        pa.Table.from_pylist(
            [
                {"id": "p1", "text": synthetic(6)},
                {"id": "p2", "text": None},
                {"id": "p3", "text": synthetic(7)},
            ]
        ),
        root / "table.parquet",
    )
    inputs = [
        str(texts),
        str(root / "*.jsonl"),
        str(root / "table.csv"),
        str(root / "table.parquet"),
    ]
    expected_ok = [
        "a_seed",
        "e_page",
        "g_deep",
        "j1",
        content_id(synthetic(2)),
        "j1#2",
        "c1",
        "c3",
        "p1",
        "p3",
    ]
    expected_errors = {
        "b_big": "SW102",
        "c_bytes": "SW100",
        "d_empty": "SW101",
        "f_script": "SW101",
        "feed.jsonl:3": "SW100",
        "j4": "SW102",
        "table.csv:7": "SW100",  # c1 spans lines 2-6
        "table.parquet:2": "SW100",
    }
    return inputs, expected_ok, expected_errors


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str], dict[str, str]]:
    return build_mixed_corpus(tmp_path_factory.mktemp("mixed"))


@pytest.fixture(scope="module")
def reference(
    mixed: tuple[list[str], list[str], dict[str, str]],
    tiny_model_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str]:
    """The mixed corpus labelled by ``stancewire label`` with one worker."""
    inputs, _, _ = mixed
    out = tmp_path_factory.mktemp("ref") / "out.jsonl"
    args = ["label", *inputs, "-o", str(out), "-m", str(tiny_model_dir), "--max-chars", "3000"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    return out, result.output


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_model_dir: Path):
    from stancewire.models.pipeline import load_pipeline

    return load_pipeline(tiny_model_dir, max_chars=MAX_CHARS)


def tiny_job(tiny_model_dir: Path, inputs: list[str], output: Path, **kw) -> BatchJob:
    spec = PipelineSpec(model_dir=str(tiny_model_dir), max_chars=MAX_CHARS)
    return BatchJob(inputs=inputs, output=output, spec=spec, **kw)


def test_mixed_inputs_and_bad_articles_finish_with_errors_recorded(
    reference: tuple[Path, str], mixed: tuple[list[str], list[str], dict[str, str]]
) -> None:
    out, output = reference
    _, expected_ok, expected_errors = mixed
    records = [LabelledArticle.model_validate(r) for r in read_lines(out)]
    assert [r.id for r in records] == expected_ok
    # two quotes per synthetic article, more in the seed
    assert sum(len(r.quotes) for r in records) >= 2 * 9
    by_id = {r.id: r for r in records}
    assert by_id["e_page"].source == "e_page.html" and by_id["c1"].source == "table.csv"
    assert [q.speaker for q in by_id["g_deep"].quotes] == ["John Kirby"] * 2  # synthetic(101)
    errors = [ArticleError.model_validate(r) for r in read_lines(out.with_name("out.errors.jsonl"))]
    assert {e.id: e.code for e in errors} == expected_errors
    # the errors file is in input order too
    assert [e.id for e in errors] == list(expected_errors)
    assert "8 failed" in output and "labelled 10 article(s)" in output
    assert "John Kirby" in output  # small run: per-speaker tables


def test_two_workers_give_the_same_files_as_one(
    reference: tuple[Path, str],
    mixed: tuple[list[str], list[str], dict[str, str]],
    tiny_model_dir: Path,
    tmp_path: Path,
) -> None:
    inputs, _, _ = mixed
    out = tmp_path / "out.jsonl"
    args = ["label", *inputs, "-o", str(out), "-m", str(tiny_model_dir), "--max-chars", "3000"]
    result = runner.invoke(app, [*args, "--workers", "2", "--chunk-size", "3", "-q"])
    assert result.exit_code == 2, result.output
    ref_out, _ = reference
    # Chunks of 3 vs 16 leave the batches (and so the floats) of this tiny corpus
    # alike only if batch composition does not matter; compare the records, not bytes.
    assert read_lines(out) == read_lines(ref_out)
    ref_errors = ref_out.with_name("out.errors.jsonl").read_bytes()
    assert (tmp_path / "out.errors.jsonl").read_bytes() == ref_errors


def test_parquet_and_csv_outputs_match_the_journal(
    reference: tuple[Path, str],
    mixed: tuple[list[str], list[str], dict[str, str]],
    tiny_model_dir: Path,
    tiny_pipeline,
    tmp_path: Path,
) -> None:
    import pyarrow.parquet as pq

    inputs, expected_ok, _ = mixed
    ref = read_lines(reference[0])
    out = tmp_path / "out.parquet"
    job = tiny_job(tiny_model_dir, inputs, out)
    summary = run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    assert (summary.labelled, summary.failed) == (10, 8)
    assert read_lines(tmp_path / "out.journal.jsonl") == ref
    rows = pq.read_table(out).to_pylist()
    assert [LabelledArticle.model_validate(r) for r in rows] == [
        LabelledArticle.model_validate(r) for r in ref
    ]
    # resuming a finished run does no work and rewrites the same file
    before = out.read_bytes()
    job = tiny_job(tiny_model_dir, inputs, out, resume=True)
    again = run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    assert (again.labelled, again.failed, again.done_before, again.failed_before) == (0, 0, 10, 8)
    assert again.total_failed == 8 and out.read_bytes() == before

    out_csv = tmp_path / "q.csv"
    job = tiny_job(tiny_model_dir, inputs, out_csv)
    run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    with out_csv.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(r["quotes"]) for r in ref)
    assert list(dict.fromkeys(r["article_id"] for r in rows)) == [
        r["id"] for r in ref if r["quotes"]
    ]
    assert set(expected_ok) >= {r["article_id"] for r in rows}


def test_an_earlier_run_is_refused_unless_resume_or_overwrite(
    tiny_model_dir: Path, tiny_pipeline, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": synthetic(i)}) + "\n" for i in range(3)), "utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "old"}\n', "utf-8")
    with pytest.raises(ConfigError, match="already exists.*--resume.*--overwrite"):
        run_batch(tiny_job(tiny_model_dir, [str(src)], out))
    assert out.read_text() == '{"id": "old"}\n'
    result = runner.invoke(app, ["label", str(src), "-o", str(out)])
    assert result.exit_code == 1 and "--overwrite" in str(result.exception)
    job = tiny_job(tiny_model_dir, [str(src)], out, overwrite=True)
    summary = run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    assert summary.labelled == 3 and summary.errors is None
    assert [r["id"] for r in read_lines(out)] == [content_id(synthetic(i)) for i in range(3)]
    with pytest.raises(ConfigError, match="exclude each other"):
        tiny_job(tiny_model_dir, [str(src)], out, overwrite=True, resume=True)
    # --resume without an earlier run is simply a first run
    fresh = tmp_path / "fresh.jsonl"
    job = tiny_job(tiny_model_dir, [str(src)], fresh, resume=True)
    summary = run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    assert (summary.labelled, summary.done_before) == (3, 0)
    assert fresh.read_text("utf-8") == out.read_text("utf-8")


def test_resume_after_a_killed_run_gives_exactly_one_record_per_article(
    tiny_model_dir: Path, tiny_pipeline, tmp_path: Path
) -> None:
    n = 30
    src = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": f"n{i:02d}", "text": synthetic(i)}) for i in range(n)]
    lines.insert(7, "{broken")
    src.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "stancewire", "label", str(src), "-o", str(out)]
    cmd += ["-m", str(tiny_model_dir), "--batch-size", "2", "--chunk-size", "2", "-q"]
    env = {**os.environ, TEST_DELAY_ENV: "0.3"}
    with (tmp_path / "log").open("w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                if out.exists() and out.read_bytes().count(b"\n") >= 6:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, (tmp_path / "log").read_text()
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait()
    written = out.read_bytes().count(b"\n")
    assert 6 <= written < n, "the kill should land mid-run"
    with out.open("ab") as fh:  # what a kill during a write would leave behind
        fh.write(b'{"id": "n29", "text": "half a rec')

    result = runner.invoke(
        app,
        ["label", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--chunk-size", "2"]
        + ["--batch-size", "2", "--resume", "--no-table"],
    )
    assert result.exit_code == 2, result.output  # the broken line is recorded
    assert "resumed:" in result.output and "dropped an incomplete last record" in result.output
    text = out.read_text("utf-8")
    assert text.endswith("\n")
    ids = [r["id"] for r in read_lines(out)]
    assert ids == [f"n{i:02d}" for i in range(n)]  # none lost, none twice, input order
    errors = read_lines(tmp_path / "out.errors.jsonl")
    assert [e["id"] for e in errors] == ["corpus.jsonl:8"]
    # and the records are those of an uninterrupted run
    straight = tmp_path / "straight.jsonl"
    job = tiny_job(tiny_model_dir, [str(src)], straight, chunk_size=2)
    run_batch(job, engine=LocalEngine(job.spec, pipeline=tiny_pipeline))
    assert text == straight.read_text("utf-8")


class _FlakyPipeline:
    """Fails a whole batch that contains the article ``boom``, as a bug would."""

    def pipe(self, articles, targets=None):
        articles = list(articles)
        if any(a.id == "boom" for a in articles):
            raise RuntimeError("kaboom")
        for a in articles:
            yield LabelledArticle(id=a.id, source=a.source, text=a.text, quotes=[])


def test_label_chunk_isolates_an_article_that_breaks_its_batch() -> None:
    items = [
        Article(id="a", text="A."),
        ArticleError(id="r", code="SW100", message="unreadable"),
        Article(id="boom", text="B."),
        Article(id="c", text="C."),
    ]
    outcomes = label_chunk(_FlakyPipeline(), items, None)
    assert [(o.id, o.ok) for o in outcomes] == [
        ("a", True),
        ("r", False),
        ("boom", False),
        ("c", True),
    ]
    boom = ArticleError.model_validate_json(outcomes[2].line)
    assert boom.code == "SW500" and "kaboom" in boom.message


def test_spec_default_size_limit_is_the_pipelines() -> None:
    from stancewire.models.pipeline import DEFAULT_MAX_CHARS as PIPELINE_MAX

    assert DEFAULT_MAX_CHARS == PIPELINE_MAX


def test_a_model_that_fails_in_a_worker_process_is_one_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "A."}) + "\n", "utf-8")
    job = BatchJob(
        inputs=[str(src)],
        output=tmp_path / "o.jsonl",
        spec=PipelineSpec(model_dir=str(tmp_path / "no-model")),
        workers=2,
    )
    with pytest.raises(ModelLoadError):
        run_batch(job)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no files left behind


def test_a_missing_input_fails_before_any_model_loads(tmp_path: Path) -> None:
    job = BatchJob(
        inputs=[str(tmp_path / "nope")],
        output=tmp_path / "o.jsonl",
        spec=PipelineSpec(model_dir=str(tmp_path / "no-model")),
    )
    with pytest.raises(Exception, match=r"\[SW100\] input not found"):
        run_batch(job)
    assert not (tmp_path / "o.jsonl").exists()
