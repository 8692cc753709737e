"""The sentiment lexicon stack: VADER's scores, its formula, and models that carry one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.errors import ModelLoadError
from stancewire.models.lexicon import VADER_FEATURES, LexiconStack, vader_scores

LABELS = ["positive", "negative", "neutral"]
KIND = "We are deeply grateful and hopeful; this is a wonderful day"
HARSH = "a horrific, criminal and murderous attack"


def test_vader_scores_read_the_tone_of_the_words() -> None:
    scores = vader_scores([KIND, HARSH, "The committee met on Tuesday"])
    assert scores.shape == (3, len(VADER_FEATURES))
    neg, neu, pos, compound = scores.T
    assert pos[0] > neg[0] and compound[0] > 0.5
    assert neg[1] > pos[1] and compound[1] < -0.5
    assert neu[2] == pytest.approx(1.0) and compound[2] == 0.0
    assert vader_scores([]).shape == (0, len(VADER_FEATURES))


def test_the_stack_is_a_softmax_over_log_probs_and_vader_scores() -> None:
    gen = torch.Generator().manual_seed(0)
    coef = torch.randn(3, 7, generator=gen)
    intercept = torch.randn(3, generator=gen)
    stack = LexiconStack(LABELS, coef.tolist(), intercept.tolist(), c=0.1)
    assert stack.features[:3] == ["logp_positive", "logp_negative", "logp_neutral"]
    log_probs = torch.log_softmax(torch.randn(2, 3, generator=gen), dim=-1)
    got = stack.probabilities(log_probs, [KIND, HARSH])
    x = torch.cat([log_probs, vader_scores([KIND, HARSH])], dim=1)
    assert torch.allclose(got, torch.softmax(x @ coef.T + intercept, dim=-1), atol=1e-6)
    with pytest.raises(ValueError, match="2 rows"):
        stack.probabilities(log_probs, [KIND])


@pytest.mark.parametrize(
    ("coef", "intercept"),
    [([[0.0] * 7] * 2, [0.0] * 3), ([[0.0] * 6] * 3, [0.0] * 3), ([[0.0] * 7] * 3, [0.0])],
)
def test_a_stack_of_the_wrong_shape_is_refused(coef: list, intercept: list) -> None:
    with pytest.raises(ValueError, match="lexicon stack"):
        LexiconStack(LABELS, coef, intercept)


def _lexicon_only_stack() -> LexiconStack:
    """A stack that ignores the head and follows VADER's compound score."""
    coef = [[0.0] * 7 for _ in LABELS]
    coef[0][6], coef[1][6] = 20.0, -20.0  # compound: + for positive, - for negative
    return LexiconStack(LABELS, coef, [0.0, 0.0, 2.0])


@pytest.fixture
def stacked_model_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    out = tmp_path / "stacked"
    shutil.copytree(tiny_model_dir, out)
    clf = QuoteClassifier.load(out)
    clf.config.sentiment_lexicon = _lexicon_only_stack()
    clf.save(out)
    return out


def test_a_model_with_a_stack_takes_its_sentiment_from_it(
    tiny_model_dir: Path, stacked_model_dir: Path
) -> None:
    raw = json.loads((stacked_model_dir / "model.json").read_text())
    assert len(raw["sentiment_lexicon"]["coef"]) == 3
    plain = QuoteClassifier.load(tiny_model_dir)
    stacked = QuoteClassifier.load(stacked_model_dir)
    items = [ClassifyInput(KIND), ClassifyInput(HARSH), ClassifyInput("The talks resume")]
    before, after = plain.predict(items), stacked.predict(items)
    assert [row["sentiment"].label for row in after] == ["positive", "negative", "neutral"]
    for row in after:
        assert sum(row["sentiment"].probs.values()) == pytest.approx(1.0, abs=1e-3)
    for b, a in zip(before, after, strict=True):  # stance is untouched
        assert all(b[t].probs == a[t].probs for t in plain.targets)


def test_a_model_without_a_stack_saves_the_file_it_always_had(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    clf = QuoteClassifier.load(tiny_model_dir)
    assert clf.config.sentiment_lexicon is None
    clf.save(tmp_path / "again")
    assert "sentiment_lexicon" not in json.loads((tmp_path / "again" / "model.json").read_text())


def test_the_onnx_path_applies_the_same_stack(stacked_model_dir: Path, tmp_path: Path) -> None:
    from stancewire.models.backends.onnx import OnnxQuoteClassifier

    items = [ClassifyInput(KIND), ClassifyInput(HARSH, "He called it a horrific attack.")]
    want = QuoteClassifier.load(stacked_model_dir).predict(items)
    onnx = OnnxQuoteClassifier.load(stacked_model_dir, quantize=False, cache_dir=tmp_path / "c")
    got = onnx.predict(items)
    for w, g in zip(want, got, strict=True):
        assert w["sentiment"].label == g["sentiment"].label
        for label, p in w["sentiment"].probs.items():
            assert g["sentiment"].probs[label] == pytest.approx(p, abs=1e-3)


def test_a_broken_stack_in_model_json_is_a_load_error(stacked_model_dir: Path) -> None:
    path = stacked_model_dir / "model.json"
    raw = json.loads(path.read_text())
    raw["sentiment_lexicon"]["intercept"] = [0.0]
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelLoadError, match="lexicon stack"):
        QuoteClassifier.load(stacked_model_dir)
