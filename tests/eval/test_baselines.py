"""Baselines (eval/baselines.py): majority, VADER sentiment, and the embedding backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.eval.baselines import (
    EmbeddingStanceBaseline,
    MajorityBaseline,
    VaderBaseline,
    none_description,
)
from stancewire.eval.scorer import STANCE_LABELS
from stancewire.models.backends.embedding import EmbeddingBackend
from stancewire.models.classifier import ClassifyInput
from stancewire.models.doc_attrs import Scored
from stancewire.models.targets import load_targets

TARGETS = ["us_presence", "militias"]


def test_majority_counts_training_labels() -> None:
    rows = [
        {"stance": {"us_presence": "against", "militias": "favor"}, "sentiment": "negative"},
        {"stance": {"us_presence": "against"}, "sentiment": "negative"},
        {"stance": {"us_presence": "favor", "militias": "favor"}, "sentiment": "positive"},
    ]
    base = MajorityBaseline.fit(rows, TARGETS)
    assert base.majority == {"us_presence": "against", "militias": "favor", "sentiment": "negative"}
    (pred,) = base.predict([ClassifyInput("anything")])
    assert pred["us_presence"] == Scored("against", {"favor": 0.0, "against": 1.0, "none": 0.0})
    assert set(pred) == {*TARGETS, "sentiment"}
    assert base.targets == TARGETS


def test_majority_ties_follow_label_order() -> None:
    rows = [
        {"stance": {"us_presence": "none"}, "sentiment": "neutral"},
        {"stance": {"us_presence": "favor"}, "sentiment": "positive"},
    ]
    assert MajorityBaseline.fit(rows, TARGETS).majority["us_presence"] == "favor"


def test_majority_needs_rows() -> None:
    with pytest.raises(ValueError):
        MajorityBaseline.fit([], TARGETS)


def test_majority_from_training_dir(tiny_data_dir: Path) -> None:
    base = MajorityBaseline.from_jsonl_dir(tiny_data_dir, TARGETS)
    # 5 positive and 5 negative statements: the tie goes to the first label, positive.
    assert base.majority == {"us_presence": "none", "militias": "none", "sentiment": "positive"}
    assert len(base.predict([ClassifyInput("a"), ClassifyInput("b")])) == 2


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("We are grateful and happy for this wonderful partnership", "positive"),
        ("We condemn this cowardly and brutal attack that killed innocent people", "negative"),
        ("The committee will meet on Tuesday in Baghdad", "neutral"),
    ],
)
def test_vader_labels(text: str, label: str) -> None:
    (pred,) = VaderBaseline().predict([ClassifyInput(text, "context is ignored")])
    assert pred["sentiment"].label == label
    assert set(pred) == {"sentiment"}
    assert sum(pred["sentiment"].probs.values()) == pytest.approx(1.0)


def test_vader_thresholds_are_inclusive() -> None:
    assert VaderBaseline.label(0.05) == "positive"
    assert VaderBaseline.label(-0.05) == "negative"
    assert VaderBaseline.label(0.049) == "neutral"
    assert VaderBaseline.tasks == {"sentiment": ["positive", "negative", "neutral"]}


@pytest.fixture(scope="module")
def embedding(tiny_encoder_dir: Path) -> EmbeddingStanceBaseline:
    return EmbeddingStanceBaseline(str(tiny_encoder_dir))


def test_the_embedding_baseline_is_the_embedding_backend() -> None:
    # one implementation: the baseline here and the pipeline backend are the same class
    assert EmbeddingStanceBaseline is EmbeddingBackend
    assert EmbeddingStanceBaseline.name == "embedding"


def test_embedding_descriptions_come_from_targets(embedding: EmbeddingStanceBaseline) -> None:
    targets = {t.name: t for t in load_targets()}
    assert embedding.targets == list(targets)
    desc = embedding.descriptions(targets["us_presence"])
    assert desc["favor"] == targets["us_presence"].hypotheses["favor"]
    assert desc["against"] == targets["us_presence"].hypotheses["against"]
    assert desc["none"] == none_description(targets["us_presence"])


def test_embedding_predicts_nearest_description(embedding: EmbeddingStanceBaseline) -> None:
    target = load_targets()[0]
    texts = embedding.descriptions(target)
    items = [ClassifyInput(texts[label]) for label in STANCE_LABELS]
    preds = embedding.predict(items)
    # A quote that is a label's own description has cosine 1 with it: argmax picks it.
    assert [p[target.name].label for p in preds] == list(STANCE_LABELS)
    for p in preds:
        assert set(p) == {*embedding.targets, "sentiment"}
        for scored in p.values():
            assert sum(scored.probs.values()) == pytest.approx(1.0, abs=1e-3)
            assert scored.confidence == max(scored.probs.values())


def test_embedding_has_the_classifier_interface(embedding: EmbeddingStanceBaseline) -> None:
    assert embedding.predict([]) == []
    items = [ClassifyInput(f"quote number {i}", "ctx") for i in range(5)]
    batched, whole = embedding.predict(items, batch_size=2), embedding.predict(items)
    for a, b in zip(batched, whole, strict=True):
        for task in embedding.tasks:
            assert a[task].probs == pytest.approx(b[task].probs, abs=1e-3)
    assert embedding.tasks == {
        **{t: list(STANCE_LABELS) for t in embedding.targets},
        "sentiment": ["positive", "negative", "neutral"],
    }
