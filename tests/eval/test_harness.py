"""Evaluation runs (eval/harness.py) and the ``stancewire eval`` command."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.eval.baselines import EmbeddingStanceBaseline, MajorityBaseline, VaderBaseline
from stancewire.eval.harness import (
    METRICS_SCHEMA_VERSION,
    calibration,
    evaluate_end_to_end,
    evaluate_oracle_run,
    evaluate_predictions,
    read_jsonl,
    write_jsonl,
    write_outputs,
)
from stancewire.eval.scorer import METRIC_NAMES
from stancewire.models.backends.finetuned import DEFAULT_MODEL_DIR
from stancewire.models.classifier import QuoteClassifier, model_fingerprint
from tests.eval.test_bootstrap import GOLD_PATH, load_gold, perturbed
from tests.models.test_backends_nli import NLI_3WAY, save_tiny_nli

ORACLE_METRICS = [
    "us_presence_favg",
    "us_presence_macro3",
    "militias_favg",
    "militias_macro3",
    "sentiment_macro",
]


def with_confidence(pred: list[dict]) -> list[dict]:
    out = copy.deepcopy(pred)
    for art in out:
        for i, q in enumerate(art["quotes"]):
            q["confidence"] = {"us_presence": 0.5 + (i % 5) / 10, "militias": 0.9, "sentiment": 0.7}
    return out


def test_perfect_predictions_have_no_errors() -> None:
    gold = load_gold()
    run, units = evaluate_predictions(gold, copy.deepcopy(gold), n_boot=100)
    assert run.errors == []
    assert len(units) == len(gold) == len(run.per_unit)
    for name in ("quote_f1", "attribution_acc", "sentiment_macro"):
        assert run.metrics[name] == 1.0
    assert run.headline == list(METRIC_NAMES)
    assert run.calibration == {}  # gold has no confidence values


def test_errors_cover_every_kind_with_context() -> None:
    gold = load_gold()
    run, _ = evaluate_predictions(gold, perturbed(gold), n_boot=100)
    kinds = {t for e in run.errors for t in e["types"]}
    assert kinds == {"missed", "spurious", "misattributed", "mislabelled"}
    texts = {a["id"]: a["text"] for a in gold}
    for e in run.errors:
        if "spurious" in e["types"]:
            assert e["context"] is None  # the invented quote is nowhere in the article
            continue
        ctx = e["context"]
        assert ctx["quote"] == e["gold_text"]
        assert ctx["before"] + ctx["quote"] + ctx["after"] in texts[e["unit"]]
    mislabelled = [e for e in run.errors if "mislabelled" in e["types"]]
    assert all(e["wrong"] for e in mislabelled)
    assert sum(r["errors"] for r in run.per_unit) == len(run.errors)


def test_calibration_bins_and_ece() -> None:
    cal = calibration([0.95, 0.95, 0.55, 0.55], [True, True, True, False])
    assert cal["n"] == 4
    assert [b["n"] for b in cal["bins"]] == [2, 2]
    assert cal["ece"] == pytest.approx(0.5 * 0.05 + 0.5 * 0.05)
    assert calibration([1.0], [True])["bins"][0]["high"] == 1.0


def test_predictions_mode_with_comparison(tmp_path: Path) -> None:
    gold = load_gold()
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(with_confidence(perturbed(gold, seed=1)), a)
    write_jsonl(copy.deepcopy(gold), b)
    run = evaluate_end_to_end(
        GOLD_PATH, pred_path=a, out_dir=tmp_path / "out", compare_pred=b, n_boot=200
    )
    assert run.mode == "predictions"
    assert set(run.calibration) == {"us_presence", "militias", "sentiment"}
    cmp = run.comparison
    assert cmp is not None and cmp.b == str(b)
    assert cmp.results["quote_r"].b == 1.0 and cmp.results["quote_r"].delta > 0
    metrics_path, report_path = write_outputs(run, tmp_path / "out")
    data = json.loads(metrics_path.read_text())
    assert data["schema_version"] == METRICS_SCHEMA_VERSION
    assert list(data["metrics"])[: len(METRIC_NAMES)] == list(METRIC_NAMES)
    assert set(data["intervals"]) == set(METRIC_NAMES)
    assert data["comparison"]["metrics"]["quote_r"]["delta"] > 0
    assert data["confusion"]["speaker"]["labels"][-1] == "missing"
    assert len(data["per_article"]) == len(gold)
    assert report_path.read_text().startswith("<!DOCTYPE html>")


@pytest.fixture(scope="module")
def tiny_classifier(tiny_model_dir: Path) -> QuoteClassifier:
    return QuoteClassifier.load(tiny_model_dir)


@pytest.fixture(scope="module")
def baselines(tiny_encoder_dir: Path, tiny_data_dir: Path) -> list:
    return [
        MajorityBaseline.from_jsonl_dir(tiny_data_dir, ["us_presence", "militias"]),
        VaderBaseline(),
        EmbeddingStanceBaseline(str(tiny_encoder_dir)),
    ]


def test_oracle_on_articles_with_baselines(tiny_classifier, baselines) -> None:
    run = evaluate_oracle_run(
        GOLD_PATH, tiny_classifier, baselines=baselines, compare=tiny_classifier, n_boot=100
    )
    assert run.mode == "oracle" and run.unit == "article"
    assert run.headline == ORACLE_METRICS
    assert run.metrics["n"] == sum(len(a["quotes"]) for a in load_gold())
    assert run.metrics["n_units"] == 5
    assert set(run.baselines) == {"majority", "vader", "embedding"}
    assert set(run.baselines["vader"].metrics) == {"sentiment_macro"}
    # the embedding backend answers stance and sentiment
    assert set(run.baselines["embedding"].metrics) == set(ORACLE_METRICS)
    assert run.backend == "finetuned"
    assert set(run.baselines["majority"].vs_model) == set(ORACLE_METRICS)
    # The model compared with itself: no difference anywhere.
    assert all(r.delta == 0 and not r.significant for r in run.comparison.results.values())
    assert set(run.calibration) == {"us_presence", "militias", "sentiment"}
    assert all(e["types"] == ["mislabelled"] for e in run.errors)


def test_oracle_on_quote_style_gold(tmp_path: Path, tiny_classifier) -> None:
    rows = [
        {
            "id": f"q-{i}",
            "speaker": "An official",
            "affiliation": None,
            "context": f"An official said: {text}.",
            "quote": text,
            "kind": "direct",
            "stance": {"us_presence": us, "militias": mil},
            "sentiment": sent,
        }
        for i, (text, us, mil, sent) in enumerate(
            [
                ("US forces must leave Iraq now", "against", "none", "negative"),
                ("The factions must be disarmed", "none", "against", "negative"),
                ("We thank the coalition for its help", "favor", "none", "positive"),
                ("The meeting is on Tuesday", "none", "none", "neutral"),
            ]
        )
    ]
    gold = tmp_path / "quotes.jsonl"
    write_jsonl(rows, gold)
    run = evaluate_oracle_run(gold, tiny_classifier, n_boot=50)
    assert run.unit == "quote" and run.bootstrap["unit"] == "quote"
    assert [r["id"] for r in run.per_unit] == [r["id"] for r in rows]
    for e in run.errors:
        assert e["context"]["quote"] in e["gold_text"]


def test_cli_oracle_mode(
    tmp_path: Path, tiny_model_dir: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    out = tmp_path / "oracle"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--gold",
            str(GOLD_PATH),
            "--mode",
            "oracle",
            "--out",
            str(out),
            "--model",
            str(tiny_model_dir),
            "--baseline-encoder",
            str(tiny_encoder_dir),
            "--majority-data",
            str(tiny_data_dir),
            "--bootstrap",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "metrics.json").read_text())
    assert data["mode"] == "oracle"
    assert set(data["baselines"]) == {"majority", "vader", "embedding"}
    assert (out / "report.html").stat().st_size > 10_000


@pytest.fixture(scope="module")
def tiny_nli_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    """A tiny NLI model (constant logits: every hypothesis entailed)."""
    return save_tiny_nli(tmp_path_factory.mktemp("nli"), tiny_encoder_dir, NLI_3WAY, [1, 0, -1])


def oracle_args(out: Path, tiny_encoder_dir: Path, tiny_data_dir: Path, *extra: str) -> list[str]:
    return [
        "eval",
        "--gold",
        str(GOLD_PATH),
        "--mode",
        "oracle",
        "--out",
        str(out),
        "--baseline-encoder",
        str(tiny_encoder_dir),
        "--majority-data",
        str(tiny_data_dir),
        "--bootstrap",
        "50",
        *extra,
    ]


def test_cli_oracle_adds_an_nli_row_beside_model_and_baselines(
    tmp_path: Path,
    tiny_model_dir: Path,
    tiny_encoder_dir: Path,
    tiny_data_dir: Path,
    tiny_nli_dir: Path,
) -> None:
    out = tmp_path / "oracle"
    args = ["--model", str(tiny_model_dir), "--nli-model", str(tiny_nli_dir)]
    result = CliRunner().invoke(app, oracle_args(out, tiny_encoder_dir, tiny_data_dir, *args))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "metrics.json").read_text())
    assert data["backend"] == "finetuned" and data["model"] == str(tiny_model_dir)
    assert list(data["baselines"]) == ["majority", "vader", "embedding", "nli"]
    nli = data["baselines"]["nli"]
    assert set(nli["metrics"]) == set(ORACLE_METRICS)
    # constant model: every quote is "favor" toward both targets and "positive"
    assert set(nli["vs_model"]) == set(ORACLE_METRICS)
    assert nli["per_class_f1"]["us_presence"]["none"] == 0.0
    html = (out / "report.html").read_text()
    assert "<th>nli</th>" in html and '<td class="name">nli</td>' in html
    assert "nli" in result.output  # the terminal table has the row too


def test_cli_oracle_backend_picks_the_model_row(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path, tiny_nli_dir: Path
) -> None:
    runner = CliRunner()
    emb = runner.invoke(
        app,
        oracle_args(tmp_path / "emb", tiny_encoder_dir, tiny_data_dir, "--backend", "embedding"),
    )
    assert emb.exit_code == 0, emb.output
    data = json.loads((tmp_path / "emb" / "metrics.json").read_text())
    assert data["backend"] == "embedding"
    assert data["model"] == f"embedding:{tiny_encoder_dir}"
    assert list(data["baselines"]) == ["majority", "vader"]  # no second embedding row
    args = ["--backend", "nli", "--nli-model", str(tiny_nli_dir)]
    nli = runner.invoke(app, oracle_args(tmp_path / "nli", tiny_encoder_dir, tiny_data_dir, *args))
    assert nli.exit_code == 0, nli.output
    data = json.loads((tmp_path / "nli" / "metrics.json").read_text())
    assert data["backend"] == "nli" and data["model"] == f"nli:{tiny_nli_dir}"
    assert list(data["baselines"]) == ["majority", "vader", "embedding"]
    # the constant NLI model says "favor" and "positive" for every gold quote
    assert data["confusion"]["us_presence"]["matrix"][2][1:] == [0, 0]
    assert data["per_class_f1"]["sentiment"]["neutral"] == 0.0


def test_cli_eval_backend_errors(tmp_path: Path, tiny_model_dir: Path) -> None:
    runner = CliRunner()
    no_model = runner.invoke(
        app, ["eval", "--mode", "oracle", "--backend", "nli", "--out", str(tmp_path)]
    )
    assert no_model.exit_code != 0
    assert "--nli-model" in str(no_model.exception)
    wrong = runner.invoke(
        app,
        [
            "eval",
            "--mode",
            "oracle",
            "--backend",
            "embedding",
            "--model",
            str(tiny_model_dir),
            "--out",
            str(tmp_path),
        ],
    )
    assert wrong.exit_code != 0
    assert "--model is for --backend finetuned" in str(wrong.exception)


def test_end_to_end_with_another_backend(tmp_path: Path, tiny_nli_dir: Path) -> None:
    run = evaluate_end_to_end(
        GOLD_PATH,
        out_dir=tmp_path,
        backend="nli",
        nli_model=str(tiny_nli_dir),
        n_boot=20,
    )
    assert run.mode == "end_to_end" and run.backend == "nli"
    assert run.model == f"nli:{tiny_nli_dir}"
    preds = read_jsonl(tmp_path / "predictions.jsonl")
    assert {p["model"] for p in preds} == {f"nli:{tiny_nli_dir}"}
    quotes = [q for p in preds for q in p["quotes"]]
    assert quotes and all(q["stance"]["militias"] == "favor" for q in quotes)


def test_cli_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_mode = runner.invoke(
        app, ["eval", "--gold", str(GOLD_PATH), "--mode", "nope", "--out", str(tmp_path)]
    )
    assert bad_mode.exit_code != 0
    both = runner.invoke(
        app,
        [
            "eval",
            "--gold",
            str(GOLD_PATH),
            "--compare-pred",
            "a",
            "--compare-model",
            "b",
            "--out",
            str(tmp_path),
        ],
    )
    assert both.exit_code != 0


def test_cli_scores_a_predictions_file(tmp_path: Path) -> None:
    pred = tmp_path / "pred.jsonl"
    write_jsonl(perturbed(load_gold()), pred)
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--gold",
            str(GOLD_PATH),
            "--pred",
            str(pred),
            "--out",
            str(tmp_path / "o"),
            "--bootstrap",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert data["mode"] == "predictions"
    assert data["metrics"]["quote_r"] < 1.0


@pytest.mark.slow
def test_cli_end_to_end_on_the_seeds_with_the_default_model(tmp_path: Path) -> None:
    out = tmp_path / "e2e"
    result = CliRunner().invoke(app, ["eval", "--gold", str(GOLD_PATH), "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "metrics.json").read_text())
    assert data["schema_version"] == METRICS_SCHEMA_VERSION and data["mode"] == "end_to_end"
    assert data["model_info"]["details"]["fingerprint"] == model_fingerprint(DEFAULT_MODEL_DIR)
    assert set(METRIC_NAMES) <= set(data["metrics"])
    for name in METRIC_NAMES:
        low, high = data["intervals"][name]
        assert 0.0 <= low <= high <= 1.0
    assert data["metrics"]["quote_f1"] > 0.5
    assert len(read_jsonl(out / "predictions.jsonl")) == 5
    assert data["calibration"]  # the pipeline writes confidence values
    assert "<img" in (out / "report.html").read_text()
