"""The backend registry, the finetuned and embedding backends, and the targets file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancewire.models.backends import (
    ModelInfo,
    StanceBackend,
    backend_names,
    get_backend_factory,
    load_backend,
    register_backend,
)
from stancewire.models.backends import registry as registry_module
from stancewire.models.backends.embedding import EmbeddingBackend
from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.errors import ConfigError
from stancewire.models.schema import SENTIMENT_LABELS, STANCE_LABELS
from stancewire.models.targets import (
    DEFAULT_TARGETS_PATH,
    Target,
    load_targets,
    load_targets_config,
    resolve_targets,
    targets_path,
    targets_requested,
)
from tests.models.test_backends_nli import BANANA_TARGETS, write_targets

# --------------------------------------------------------------------------- targets file


def test_bundled_targets_file() -> None:
    config = load_targets_config()
    assert config.names == ["us_presence", "militias"]
    assert set(config.targets[0].hypotheses) == {"favor", "against"}
    assert config.sentiment is not None
    assert set(config.sentiment.hypotheses) == {"positive", "negative"}
    assert [t.name for t in load_targets()] == config.names


def test_targets_path_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STANCEWIRE_TARGETS", raising=False)
    assert targets_path() == DEFAULT_TARGETS_PATH and not targets_requested()
    monkeypatch.setenv("STANCEWIRE_TARGETS", str(tmp_path / "env.json"))
    assert targets_path() == tmp_path / "env.json" and targets_requested()
    assert targets_path(tmp_path / "arg.json") == tmp_path / "arg.json"
    assert not targets_requested(DEFAULT_TARGETS_PATH)


def test_a_file_without_sentiment_gets_the_bundled_wording(tmp_path: Path) -> None:
    path = write_targets(
        tmp_path / "t.json", {"targets": [{"name": "iran", "description": "Iran in Iraq."}]}
    )
    config = load_targets_config(path)
    assert config.names == ["iran"]
    assert config.sentiment == load_targets_config().sentiment


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        (json.dumps({"targets": []}), "at least 1 item"),
        (json.dumps({"targets": [{"name": "a b", "description": "x"}]}), "targets.0.name"),
        (json.dumps({"targets": [{"name": "sentiment", "description": "x"}]}), "reserved"),
        (
            json.dumps({"targets": [{"name": "a", "description": "x"}] * 2}),
            "unique",
        ),
        (
            json.dumps(
                {"targets": [{"name": "a", "description": "x", "hypotheses": {"pro": "y"}}]}
            ),
            "favor",
        ),
        (
            json.dumps(
                {
                    "targets": [{"name": "a", "description": "x"}],
                    "sentiment": {"hypotheses": {"positive": "p"}, "neutral": "n"},
                }
            ),
            "exactly",
        ),
    ],
)
def test_malformed_targets_files_are_config_errors(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_targets_config(path)


def test_missing_targets_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_targets(tmp_path / "nope.json")


def test_resolve_targets_accepts_a_list() -> None:
    config = resolve_targets([Target(name="iran", description="Iran.")])
    assert config.names == ["iran"]
    assert config.sentiment == load_targets_config().sentiment
    with pytest.raises(ConfigError):
        resolve_targets([])


# --------------------------------------------------------------------------- registry


def test_registry_knows_the_builtins_and_refuses_unknown_names() -> None:
    assert {"finetuned", "nli", "embedding"} <= set(backend_names())
    with pytest.raises(ConfigError, match="unknown backend 'nope'.*embedding, finetuned, nli"):
        load_backend("nope")


def test_register_a_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))

    class Constant:
        name = "constant"
        targets = ["us_presence"]
        tasks = {"us_presence": list(STANCE_LABELS), "sentiment": list(SENTIMENT_LABELS)}

        def __init__(self, model=None, targets=None):
            self.model = model

        def predict(self, items, *, batch_size=64):
            return []

        def model_info(self) -> ModelInfo:
            return ModelInfo("constant", "constant", str(self.model))

    register_backend("constant")(Constant)
    assert "constant" in backend_names()
    backend = load_backend("constant", model="m")
    assert isinstance(backend, StanceBackend) and backend.model == "m"
    assert get_backend_factory("constant") is Constant


# --------------------------------------------------------------------------- finetuned


def test_finetuned_backend_is_the_quote_classifier(tiny_model_dir: Path) -> None:
    clf = load_backend("finetuned", model=tiny_model_dir)
    assert isinstance(clf, QuoteClassifier) and isinstance(clf, StanceBackend)
    info = clf.model_info()
    assert info.backend == "finetuned" and info.reference == str(tiny_model_dir)
    assert info.name == f"stancewire-{clf.config.version}"
    assert info.targets == ("us_presence", "militias")
    # the same numbers as loading the directory directly
    items = [ClassifyInput("US forces must leave", "He said US forces must leave.")]
    direct = QuoteClassifier.load(tiny_model_dir).predict(items)
    assert clf.predict(items) == direct


def test_finetuned_refuses_a_target_it_was_not_trained_on(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_targets(tmp_path / "bananas.json")
    with pytest.raises(ConfigError, match=r"trained on \['us_presence', 'militias'\].*bananas"):
        load_backend("finetuned", model=tiny_model_dir, targets=path)
    monkeypatch.setenv("STANCEWIRE_TARGETS", str(path))
    with pytest.raises(ConfigError, match="--backend nli or --backend embedding"):
        load_backend("finetuned", model=tiny_model_dir)
    # a file naming only known targets is fine
    known = write_targets(
        tmp_path / "known.json", {"targets": [{"name": "militias", "description": "x"}]}
    )
    assert load_backend("finetuned", model=tiny_model_dir, targets=known).targets == [
        "us_presence",
        "militias",
    ]
    with pytest.raises(ConfigError, match="no options"):
        load_backend("finetuned", model=tiny_model_dir, targets=known, threshold=0.3)


# --------------------------------------------------------------------------- embedding


@pytest.fixture(scope="module")
def embedding(tiny_encoder_dir: Path) -> EmbeddingBackend:
    return load_backend("embedding", model=str(tiny_encoder_dir))


def test_embedding_labels_each_description_as_its_own_label(embedding: EmbeddingBackend) -> None:
    target = embedding.target_defs[1]
    stance_texts = embedding.descriptions(target)
    sentiment_texts = embedding.sentiment_descriptions()
    preds = embedding.predict(
        [ClassifyInput(stance_texts[lab]) for lab in STANCE_LABELS]
        + [ClassifyInput(sentiment_texts[lab]) for lab in SENTIMENT_LABELS]
    )
    # a description has cosine 1 with itself: the argmax picks its own label
    assert [p["militias"].label for p in preds[:3]] == list(STANCE_LABELS)
    assert [p["sentiment"].label for p in preds[3:]] == list(SENTIMENT_LABELS)
    assert all(set(p) == {"us_presence", "militias", "sentiment"} for p in preds)
    assert embedding.tasks["sentiment"] == list(SENTIMENT_LABELS)
    assert sentiment_texts["neutral"] == load_targets_config().sentiment.neutral


def test_embedding_labels_a_target_added_by_the_targets_file(
    tiny_encoder_dir: Path, tmp_path: Path
) -> None:
    path = write_targets(tmp_path / "bananas.json")
    backend = load_backend("embedding", model=str(tiny_encoder_dir), targets=path)
    assert backend.targets == ["bananas"]
    favor = BANANA_TARGETS["targets"][0]["hypotheses"]["favor"]
    (pred,) = backend.predict([ClassifyInput(favor)])
    assert pred["bananas"].label == "favor"
    assert set(pred) == {"bananas", "sentiment"}


def test_embedding_model_info(embedding: EmbeddingBackend, tiny_encoder_dir: Path) -> None:
    info = embedding.model_info()
    assert info.backend == "embedding" and info.name == f"embedding:{tiny_encoder_dir}"
    assert info.to_dict()["targets"] == ["us_presence", "militias"]
