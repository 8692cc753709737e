"""Choosing a backend from the command line: ``classify --backend/--nli-model/--targets``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.models.errors import ConfigError
from tests.models.test_backends_nli import NLI_3WAY, save_tiny_nli, write_targets

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_nli_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    return save_tiny_nli(tmp_path_factory.mktemp("nli"), tiny_encoder_dir, NLI_3WAY, [1, 0, -1])


@pytest.fixture()
def quotes(tmp_path: Path) -> Path:
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "q1", "text": "US forces must leave", "context": "He said US forces must leave."},
        {"id": "q2", "text": "We thank the fighters"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_classify_with_the_nli_backend_and_a_new_target(
    tmp_path: Path, quotes: Path, tiny_nli_dir: Path
) -> None:
    targets = write_targets(tmp_path / "bananas.json")
    out = tmp_path / "c.jsonl"
    args = ["classify", str(quotes), "-o", str(out), "--backend", "nli"]
    result = runner.invoke(
        app, [*args, "--nli-model", str(tiny_nli_dir), "--targets", str(targets)]
    )
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert [r["id"] for r in rows] == ["q1", "q2"]
    for r in rows:
        assert r["stance"] == {"bananas": "favor"} and r["sentiment"] == "positive"
        assert set(r["confidence"]) == {"bananas", "sentiment"}


def test_classify_reads_the_backend_from_the_environment(
    tmp_path: Path, quotes: Path, tiny_nli_dir: Path
) -> None:
    out = tmp_path / "c.jsonl"
    env = {"STANCEWIRE_BACKEND": "nli", "STANCEWIRE_NLI_MODEL": str(tiny_nli_dir)}
    result = runner.invoke(app, ["classify", str(quotes), "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert all(set(r["stance"]) == {"us_presence", "militias"} for r in read(out))


def test_classify_with_the_embedding_backend(tmp_path: Path, quotes: Path) -> None:
    out = tmp_path / "c.jsonl"
    result = runner.invoke(app, ["classify", str(quotes), "-o", str(out), "--backend", "embedding"])
    assert result.exit_code == 0, result.output
    for r in read(out):
        assert set(r["stance"]) == {"us_presence", "militias"}
        assert r["sentiment"] in {"positive", "negative", "neutral"}


def test_classify_finetuned_refuses_a_new_target(
    tmp_path: Path, quotes: Path, tiny_model_dir: Path
) -> None:
    targets = write_targets(tmp_path / "bananas.json")
    result = runner.invoke(
        app, ["classify", str(quotes), "-m", str(tiny_model_dir), "--targets", str(targets)]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigError)
    assert "trained on ['us_presence', 'militias'] only" in str(result.exception)


def test_classify_help_lists_the_backend_options() -> None:
    result = runner.invoke(app, ["classify", "--help"])
    assert result.exit_code == 0
    for option in ("--backend", "--nli-model", "--targets", "STANCEWIRE_BACKEND"):
        assert option in result.output
