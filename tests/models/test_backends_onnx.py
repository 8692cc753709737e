"""The ONNX Runtime backend: same labels as torch at fp32, close at int8, cached export."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.backends import load_backend
from stancewire.models.backends.onnx import FP32_FILE, INT8_FILE, OnnxQuoteClassifier
from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.pipeline import load_classifier

ITEMS = [
    ClassifyInput("US forces must leave Iraq now", "He said US forces must leave Iraq now."),
    ClassifyInput("The factions are a danger to the state"),
    ClassifyInput("We met to discuss the schedule", "Officials said they met on Monday."),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_fp32_onnx_matches_torch(tiny_model_dir: Path, cache: Path) -> None:
    torch_clf = QuoteClassifier.load(tiny_model_dir)
    onnx_clf = OnnxQuoteClassifier.load(tiny_model_dir, quantize=False, cache_dir=cache)
    expected = torch_clf.logits(ITEMS)
    got = onnx_clf.logits(ITEMS)
    for task in torch_clf.tasks:
        assert got[task].shape == expected[task].shape
        assert (got[task] - expected[task]).abs().max().item() < 1e-4
    assert [p["sentiment"].label for p in onnx_clf.predict(ITEMS)] == [
        p["sentiment"].label for p in torch_clf.predict(ITEMS)
    ]


def test_int8_export_is_cached_and_smaller(tiny_model_dir: Path, cache: Path) -> None:
    clf = OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=cache)
    (export_dir,) = (cache / "onnx").iterdir()
    fp32, int8 = export_dir / FP32_FILE, export_dir / INT8_FILE
    assert int8.stat().st_size < fp32.stat().st_size
    stamp = int8.stat().st_mtime_ns
    OnnxQuoteClassifier.load(tiny_model_dir, quantize=True, cache_dir=cache)
    assert int8.stat().st_mtime_ns == stamp  # loaded from the cache, not exported again
    preds = clf.predict(ITEMS)
    assert len(preds) == 3 and set(preds[0]) == {*clf.targets, "sentiment"}
    assert clf.predict([]) == []
    assert clf.model_info().backend == "onnx" and clf.model_info().details["int8"] is True


def test_selected_by_name(tiny_model_dir: Path, cache: Path, monkeypatch) -> None:
    monkeypatch.setenv("STANCEWIRE_CACHE_DIR", str(cache))
    clf = load_classifier("onnx", model_dir=tiny_model_dir)
    assert isinstance(clf, OnnxQuoteClassifier)
    fp32 = load_backend("onnx", model=tiny_model_dir, quantize=False)
    assert isinstance(fp32, OnnxQuoteClassifier) and not fp32.quantized
