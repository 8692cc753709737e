"""The model card's development-set section: eval runs recorded beside a model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.models.classifier import model_fingerprint
from stancewire.models.errors import ConfigError
from stancewire.training.model_card import (
    EVALUATIONS_FILE,
    evaluation_summary,
    load_evaluations,
    record_evaluations,
    render_model_card,
)
from tests.eval.test_bootstrap import GOLD_PATH
from tests.eval.test_harness import oracle_args

runner = CliRunner()


@pytest.fixture(scope="module")
def oracle_run(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_model_dir: Path,
    tiny_encoder_dir: Path,
    tiny_data_dir: Path,
) -> Path:
    """``stancewire eval --mode oracle`` of the tiny model on the seeds' gold."""
    out = tmp_path_factory.mktemp("card-eval") / "oracle"
    args = oracle_args(out, tiny_encoder_dir, tiny_data_dir, "--no-baselines")
    result = runner.invoke(app, [*args, "--model", str(tiny_model_dir)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def model_copy(tmp_path: Path, tiny_model_dir: Path) -> Path:
    """A copy of the tiny model: recording evaluations writes into the directory."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def test_fingerprint_follows_the_weights_not_the_card(model_copy: Path) -> None:
    before = model_fingerprint(model_copy)
    (model_copy / "MODEL_CARD.md").write_text("edited by hand")
    (model_copy / EVALUATIONS_FILE).write_text("[]")
    assert model_fingerprint(model_copy) == before
    heads = model_copy / "heads.safetensors"
    heads.write_bytes(heads.read_bytes()[:-1] + b"\x01")
    assert model_fingerprint(model_copy) != before


def test_an_eval_run_records_which_model_it_scored(oracle_run: Path, tiny_model_dir: Path) -> None:
    run = json.loads((oracle_run / "metrics.json").read_text())
    assert run["model_info"]["name"].startswith("stancewire-")
    assert run["model_info"]["details"]["fingerprint"] == model_fingerprint(tiny_model_dir)


def test_summary_keeps_the_metrics_intervals_and_class_counts(oracle_run: Path) -> None:
    run = json.loads((oracle_run / "metrics.json").read_text())
    summary = evaluation_summary(run)
    assert summary["set"] == "seeds" and summary["mode"] == "oracle"
    value, low, high = summary["metrics"]["militias_favg"]
    assert value == run["metrics"]["militias_favg"] and low <= value <= high
    gold = [json.loads(line) for line in GOLD_PATH.read_text().splitlines() if line.strip()]
    quotes = [q for article in gold for q in article["quotes"]]
    assert summary["n_quotes"] == len(quotes)
    favor = sum(q["stance"]["us_presence"] == "favor" for q in quotes)
    assert summary["support"]["us_presence"]["favor"] == favor
    with pytest.raises(ConfigError, match="quote_f1"):
        evaluation_summary({**run, "mode": "end_to_end"})  # an oracle run has no extraction
    with pytest.raises(ConfigError, match="mode"):
        evaluation_summary({**run, "mode": "predictions"})


def test_card_shows_recorded_runs_and_drops_them_when_the_model_changes(
    oracle_run: Path, model_copy: Path
) -> None:
    assert "Development sets" not in render_model_card(model_copy)
    record_evaluations(model_copy, [oracle_run])
    record_evaluations(model_copy, [oracle_run / "metrics.json"])  # same set: replaced
    assert len(load_evaluations(model_copy)) == 1
    run = json.loads((oracle_run / "metrics.json").read_text())
    value = run["metrics"]["us_presence_favg"]
    low, high = run["intervals"]["us_presence_favg"]
    card = render_model_card(model_copy)
    assert "## Development sets: the real score" in card
    row = next(line for line in card.splitlines() if line.startswith("| seeds ("))
    assert f"{value:.3f} [{low:.3f}, {high:.3f}]" in row
    assert "- seeds: us_presence favor" in card
    # retrained (here: one head weight changed): the old score no longer applies
    heads = model_copy / "heads.safetensors"
    heads.write_bytes(heads.read_bytes()[:-1] + b"\x01")
    assert load_evaluations(model_copy) == []
    assert "Development sets" not in render_model_card(model_copy)
    with pytest.raises(ConfigError, match="rerun stancewire eval"):
        record_evaluations(model_copy, [oracle_run])


def test_cli_card_records_runs_and_rewrites_the_card(oracle_run: Path, model_copy: Path) -> None:
    result = runner.invoke(app, ["card", "--model", str(model_copy), "--eval", str(oracle_run)])
    assert result.exit_code == 0, result.output
    assert "1 evaluation run: seeds oracle" in result.output
    assert "| seeds (" in (model_copy / "MODEL_CARD.md").read_text()
    # without --eval the card is regenerated from what is recorded
    (model_copy / "MODEL_CARD.md").unlink()
    assert runner.invoke(app, ["card", "--model", str(model_copy)]).exit_code == 0
    assert "| seeds (" in (model_copy / "MODEL_CARD.md").read_text()


def test_cli_card_errors_are_stancewire_errors(tmp_path: Path, model_copy: Path) -> None:
    # (main() prints these as one red line; the runner shows the exception)
    result = runner.invoke(app, ["card", "--model", str(tmp_path)])
    assert result.exit_code == 1 and "SW200" in str(result.exception)
    missing = runner.invoke(
        app, ["card", "--model", str(model_copy), "--eval", str(tmp_path / "nowhere")]
    )
    assert missing.exit_code == 1 and "cannot read evaluation run" in str(missing.exception)
