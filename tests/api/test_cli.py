"""The ``stancewire`` command line, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.models.schema import ArticleError, LabelledArticle

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "004_836bdae3ce0b0081.txt"
runner = CliRunner()


@pytest.mark.parametrize("command", [[], ["label"], ["classify"], ["train"], ["eval"]])
def test_cli_help_explains_each_command(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output
    if command == ["label"]:
        assert "--output" in result.output and "stdin" in result.output


def test_cli_label_with_tiny_model_records_bad_articles(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"id": "good", "text": '"We will stay," the general said.'})
        + "\n"
        + "{broken json\n"
        + json.dumps({"id": "empty", "text": "  "})
        + "\n",
        "utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["label", str(corpus), "-o", str(out), "-m", str(tiny_model_dir)])
    assert result.exit_code == 2, result.output
    (good,) = [LabelledArticle.model_validate_json(line) for line in out.read_text().splitlines()]
    assert good.id == "good" and good.quotes[0].text == "We will stay"
    errors = [
        ArticleError.model_validate_json(x)
        for x in (tmp_path / "out.errors.jsonl").read_text().splitlines()
    ]
    assert sorted(e.id for e in errors) == ["corpus.jsonl:2", "empty"]
    assert "2 failed" in result.output


def test_cli_label_parse_processes_gives_the_same_records(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    outs = []
    for flags in ([], ["--parse-processes", "2"]):
        out = tmp_path / f"out{len(outs)}.jsonl"
        args = ["label", str(ROOT / "seeds"), "-o", str(out), "-m", str(tiny_model_dir), *flags]
        result = runner.invoke(app, [*args, "--quiet"])
        assert result.exit_code == 0, result.output
        outs.append([json.loads(line) for line in out.read_text().splitlines()])
    assert len(outs[0]) == 5 and sum(len(r["quotes"]) for r in outs[0]) >= 40
    assert outs[1] == outs[0]
    bad = runner.invoke(app, ["label", str(SEED), "--parse-processes", "-1"])
    assert bad.exit_code == 2


def test_cli_classify_with_tiny_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    quotes = tmp_path / "q.jsonl"
    quotes.write_text(
        json.dumps(
            {"id": "q1", "text": "US forces must leave", "context": "He said US forces must leave."}
        )
        + "\n"
        + json.dumps({"id": "q2", "text": "We thank the fighters"})
        + "\n",
        "utf-8",
    )
    out = tmp_path / "c.jsonl"
    result = runner.invoke(
        app, ["classify", str(quotes), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q1", "q2"]
    for r in rows:
        assert set(r["stance"]) == {"us_presence", "militias"}
        assert r["sentiment"] in {"positive", "negative", "neutral"}
        assert set(r["confidence"]) == {"us_presence", "militias", "sentiment"}


def test_cli_known_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stancewire",
            "label",
            str(tmp_path / "missing.txt"),
            "-o",
            str(tmp_path / "o.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    assert "[SW100] input not found" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_label_one_seed_end_to_end_with_default_model(tmp_path: Path) -> None:
    out = tmp_path / "seed.jsonl"
    result = runner.invoke(app, ["label", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Renad Mansour" in result.output  # the per-speaker table
    (line,) = out.read_text("utf-8").splitlines()
    record = json.loads(line)
    # ANNOTATION.md section 6 keys, plus the documented extras
    assert {"id", "source", "text", "quotes", "speakers"} <= set(record)
    article = LabelledArticle.model_validate(record)
    assert article.text == SEED.read_text("utf-8")
    assert len(article.quotes) >= 15
    for q in article.quotes:
        assert {
            "text",
            "kind",
            "speaker",
            "speaker_aliases",
            "speaker_type",
            "affiliation",
            "stance",
            "sentiment",
        } <= set(q.model_dump())
        assert article.text[q.start : q.end] == q.text
    speakers = {s.speaker for s in article.speakers}
    assert {"Renad Mansour", "Hadi al-Ameri", "Rend al-Rahim"} <= speakers
    for s in article.speakers:
        for target, indices in s.evidence.items():
            assert all(article.quotes[i].stance[target] != "none" for i in indices)
            assert set(indices) <= set(s.quotes)


@pytest.mark.slow
def test_cli_label_all_seeds_finds_at_least_40_quotes(tmp_path: Path) -> None:
    out = tmp_path / "seeds.jsonl"
    result = runner.invoke(app, ["label", str(ROOT / "seeds"), "-o", str(out), "--no-table"])
    assert result.exit_code == 0, result.output
    articles = [LabelledArticle.model_validate_json(x) for x in out.read_text().splitlines()]
    assert len(articles) == 5
    assert sum(len(a.quotes) for a in articles) >= 40


def test_cli_eval_refuses_zero_bootstrap_replicates_with_a_clear_error(tmp_path: Path) -> None:
    # Zero replicates used to crash deep in numpy's percentile; it is a usage error.
    result = runner.invoke(
        app, ["eval", "--mode", "oracle", "--bootstrap", "0", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    assert "--bootstrap" in result.output
    assert not (tmp_path / "r").exists()


def test_cli_classify_reads_the_speaker(tmp_path: Path, tiny_model_dir: Path) -> None:
    from stancewire.models.classifier import ClassifyInput, QuoteClassifier, speaker_text

    row = {"text": "We will respond", "context": "The group said it will respond."}
    spoken = row | {"speaker": "Abu Ali al-Askari", "affiliation": "Kataib Hezbollah"}
    quotes = tmp_path / "q.jsonl"
    quotes.write_text(json.dumps(row) + "\n" + json.dumps(spoken) + "\n", "utf-8")
    out = tmp_path / "c.jsonl"
    result = runner.invoke(
        app, ["classify", str(quotes), "-o", str(out), "-m", str(tiny_model_dir)]
    )
    assert result.exit_code == 0, result.output
    got = [json.loads(x) for x in out.read_text().splitlines()]
    clf = QuoteClassifier.load(tiny_model_dir)
    who = speaker_text("Abu Ali al-Askari", "Kataib Hezbollah")
    (expected,) = clf.predict([ClassifyInput(row["text"], row["context"], who)])
    assert got[1]["confidence"]["militias"] == round(expected["militias"].confidence, 4)
    assert got[0]["confidence"] != got[1]["confidence"]

    quotes.write_text(json.dumps(row | {"speaker": ["not", "a", "name"]}) + "\n", "utf-8")
    bad = runner.invoke(app, ["classify", str(quotes), "-o", str(out), "-m", str(tiny_model_dir)])
    assert bad.exit_code == 1
    assert '"speaker" must be a string' in str(bad.exception)


@pytest.mark.parametrize(
    ("flags", "stacked", "grouped"),
    [
        ([], False, True),
        (["--sentiment-lexicon"], True, True),
        (["--no-group-by-length"], False, False),
    ],
)
def test_cli_train_passes_the_bundled_recipe_and_its_flags(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    stacked: bool,
    grouped: bool,
) -> None:
    from stancewire.training import trainer

    seen = []

    def fake_train(args, progress=None):  # records what the command asked for
        seen.append(args)
        args.output_dir.mkdir(parents=True)
        (args.output_dir / "model.json").write_text(json.dumps({"training": {"metrics": {}}}))
        return args.output_dir

    monkeypatch.setattr(trainer, "train", fake_train)
    result = runner.invoke(app, ["train", "--output", str(tmp_path / "m"), *flags])
    assert result.exit_code == 0, result.output
    (args,) = seen
    assert args.sentiment_lexicon is stacked
    assert args.group_by_length is grouped
    assert args.base_branch and args.lora and args.head_members == 5
