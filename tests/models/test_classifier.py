from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from stancewire.models.classifier import (
    ClassifyInput,
    ModelConfig,
    QuoteClassifier,
    speaker_text,
)
from stancewire.models.errors import ModelLoadError


def test_classifier_loads_and_predicts_calibrated_probs(tiny_model_dir: Path) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    assert clf.targets == ["us_presence", "militias"]
    preds = clf.predict(
        [
            ClassifyInput("US forces must leave", "He said US forces must leave."),
            ClassifyInput("ok"),
        ]
    )
    assert len(preds) == 2
    for row in preds:
        assert set(row) == {"us_presence", "militias", "sentiment"}
        for task, scored in row.items():
            assert scored.label in clf.tasks[task]
            assert sum(scored.probs.values()) == pytest.approx(1.0, abs=1e-3)
            assert scored.confidence == max(scored.probs.values())


def test_classifier_batching_does_not_change_results(tiny_model_dir: Path) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    items = [ClassifyInput("short"), ClassifyInput("a much longer quote " * 5, "with context")]
    together = clf.logits(items, batch_size=2)
    alone = [clf.logits([it], batch_size=1) for it in items]
    for task in clf.tasks:
        for i in range(2):
            assert torch.allclose(together[task][i], alone[i][task][0], atol=1e-4)


def test_classifier_temperature_is_applied(tiny_model_dir: Path) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    item = [ClassifyInput("US forces must leave")]
    clf.config.temperatures = {t: 1.0 for t in clf.tasks}
    sharp = clf.predict(item)[0]["sentiment"].confidence
    clf.config.temperatures = {t: 100.0 for t in clf.tasks}
    flat = clf.predict(item)[0]["sentiment"].confidence
    assert flat < sharp
    assert flat == pytest.approx(1 / 3, abs=0.01)


def test_classifier_empty_input() -> None:
    assert QuoteClassifier.predict.__doc__  # documented
    # predict([]) must not touch the model at all
    assert QuoteClassifier.predict(object.__new__(QuoteClassifier), []) == []


def test_classifier_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not a stancewire model"):
        QuoteClassifier.load(tmp_path)
    ModelConfig(tasks={"sentiment": ["positive", "negative", "neutral"]}, lora=True).save(
        tmp_path / "model.json"
    )
    with pytest.raises(ModelLoadError, match="adapter"):
        QuoteClassifier.load(tmp_path)


@pytest.mark.parametrize(
    ("name", "affiliation", "expected"),
    [
        ("Qais al-Khazali", "Asaib Ahl al-Haq", "Qais al-Khazali (Asaib Ahl al-Haq)"),
        ("Kataib Hezbollah", "Kataib Hezbollah", "Kataib Hezbollah"),
        (
            "a spokesman for Kataib Hezbollah",
            "kataib hezbollah",
            "a spokesman for Kataib Hezbollah",
        ),  # noqa: E501
        ("Hadi al-Ameri", None, "Hadi al-Ameri"),
        (None, "US government", "US government"),
        ("  ", "", None),
        (None, None, None),
    ],
)
def test_speaker_text(name: str | None, affiliation: str | None, expected: str | None) -> None:
    assert speaker_text(name, affiliation) == expected


def test_a_speaker_aware_model_reads_the_speaker_before_the_quote(tiny_model_dir: Path) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    assert clf.config.speaker_input  # the training default
    quote, context = "US forces must leave", "He said US forces must leave."
    plain = ClassifyInput(quote, context)
    spoken = ClassifyInput(quote, context, "Qais al-Khazali (Asaib Ahl al-Haq)")
    ids = clf.encode([spoken])["input_ids"][0].tolist()
    decoded = clf.tokenizer.decode(ids, skip_special_tokens=True)
    assert decoded.startswith("qais al - khazali ( asaib ahl al - haq ) : us forces must leave")
    assert clf.predict([spoken])[0]["militias"].probs != clf.predict([plain])[0]["militias"].probs
    assert clf.predict([ClassifyInput(quote, context, None)]) == clf.predict([plain])


def test_a_model_trained_without_speakers_ignores_them(tiny_model_dir: Path) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    clf.config.speaker_input = False
    plain = ClassifyInput("US forces must leave", "He said so.")
    spoken = ClassifyInput("US forces must leave", "He said so.", "Kataib Hezbollah")
    assert torch.equal(clf.encode([plain])["input_ids"], clf.encode([spoken])["input_ids"])


def test_a_model_json_from_before_speaker_input_loads_as_not_speaker_aware(
    tmp_path: Path,
) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"tasks": {"sentiment": ["positive", "negative", "neutral"]}}))
    assert ModelConfig.load(path).speaker_input is False


def test_a_model_with_fp32_heads_still_loads(tiny_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    from stancewire.models.classifier import HEADS_FILE

    old = tmp_path / "old"
    shutil.copytree(tiny_model_dir, old)
    heads = load_file(str(old / HEADS_FILE))
    save_file({k: v.float() for k, v in heads.items()}, str(old / HEADS_FILE))
    item = [ClassifyInput("US forces must leave", "He said US forces must leave.")]
    expected = QuoteClassifier.load(tiny_model_dir).predict(item)
    assert QuoteClassifier.load(old).predict(item) == expected
