"""The ``nli`` backend's mechanics, on tiny NLI models the tests build and save.

No real NLI model is available offline, so every model here is a 2-layer,
32-wide ``BertForSequenceClassification`` saved with ``save_pretrained`` and
loaded back through the same ``from_pretrained(name_or_path)`` call a hub name
goes through. Two kinds of check:

- a constant model (zero classifier weights, a fixed bias) gives exact,
  known entailment scores, which pins the id2label mapping and the
  favor/against/none arithmetic;
- a scripted model (a forward hook that rewrites the logits from the decoded
  premise and hypothesis) checks that every (quote, hypothesis) pair goes
  through one batched pass and that each score lands on the right quote,
  target and label.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from stancewire.models.backends import ModelInfo, StanceBackend, load_backend
from stancewire.models.backends.nli import NLIBackend, nli_label_indices, three_way
from stancewire.models.classifier import ClassifyInput
from stancewire.models.errors import ConfigError, ModelLoadError

NLI_3WAY = {0: "entailment", 1: "neutral", 2: "contradiction"}

BANANA_TARGETS = {
    "targets": [
        {
            "name": "bananas",
            "description": "Bananas.",
            "hypotheses": {
                "favor": "The speaker loves bananas.",
                "against": "The speaker hates bananas.",
            },
        }
    ],
    "sentiment": {
        "hypotheses": {"positive": "The tone is great.", "negative": "The tone is awful."},
        "neutral": "The tone is flat.",
    },
}
"""A target added by a config file alone; the scripted model keys on its verbs."""

KEYWORDS = {"loves", "hates", "great", "awful"}


def save_tiny_nli(
    path: Path, tokenizer_dir: Path, id2label: dict[int, str], bias: list[float]
) -> Path:
    """A tiny BERT NLI classifier whose logits are ``bias`` for every pair.

    Zero classifier weights make the output independent of the input, so the
    tests know every entailment score exactly.
    """
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def write_targets(path: Path, config: dict[str, Any] = BANANA_TARGETS) -> Path:
    path.write_text(json.dumps(config), "utf-8")
    return path


@pytest.fixture(scope="module")
def nli_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    """Entailment logit 1, contradiction -1: every hypothesis entailed at sigmoid(2)."""
    return save_tiny_nli(tmp_path_factory.mktemp("nli"), tiny_encoder_dir, NLI_3WAY, [1, 0, -1])


@pytest.fixture(scope="module")
def bananas_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_targets(tmp_path_factory.mktemp("targets") / "bananas.json")


def scripted(backend: NLIBackend) -> list[int]:
    """Make the model answer like an oracle and count its forward calls.

    A hypothesis is entailed (+3 entailment, +0 contradiction) when one of its
    keywords also occurs in the premise, else contradicted. Returns the list
    that collects the batch size of every forward call.
    """
    calls: list[int] = []
    tok = backend.tokenizer

    def hook(module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> Any:
        ids = kwargs["input_ids"]
        calls.append(int(ids.shape[0]))
        logits = torch.zeros(ids.shape[0], 3)
        for row, seq in enumerate(ids.tolist()):
            text = tok.decode(seq, skip_special_tokens=False).replace("[PAD]", "")
            premise, hypothesis = (
                set(re.findall(r"\w+", part)) for part in text.split("[SEP]")[:2]
            )
            entailed = bool(premise & hypothesis & KEYWORDS)
            logits[row, backend.entailment] = 3.0 if entailed else 0.0
            logits[row, backend.contradiction] = 0.0 if entailed else 3.0
        output.logits = logits
        return output

    backend.model.register_forward_hook(hook, with_kwargs=True)
    return calls


# --------------------------------------------------------------------------- label mapping


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "entailment", 1: "neutral", 2: "contradiction"}, (0, 2)),
        ({0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, (2, 0)),
        ({0: "Entailment", 1: "not_entailment"}, (0, None)),
        ({"0": "entail", "1": "contradict"}, (0, 1)),
    ],
)
def test_label_indices_come_from_id2label(id2label: dict, expected: tuple) -> None:
    assert nli_label_indices(id2label) == expected


@pytest.mark.parametrize("id2label", [{0: "LABEL_0", 1: "LABEL_1"}, {0: "positive"}])
def test_a_model_without_entailment_is_refused(id2label: dict) -> None:
    with pytest.raises(ModelLoadError, match="entailment"):
        nli_label_indices(id2label)


def test_loading_a_model_without_entailment_label_fails_clearly(
    tmp_path: Path, tiny_encoder_dir: Path
) -> None:
    path = save_tiny_nli(tmp_path, tiny_encoder_dir, {0: "LABEL_0", 1: "LABEL_1"}, [0, 0])
    with pytest.raises(ModelLoadError, match=r"\[SW200\] not an NLI model.*LABEL_0"):
        NLIBackend(path)


def test_constant_model_scores_are_exact(nli_dir: Path) -> None:
    backend = NLIBackend(nli_dir, max_length=64)
    (pred,) = backend.predict([ClassifyInput("anything at all")])
    # Both hypotheses entailed with log-odds 2; none stands at logit(0.5) = 0.
    e2 = math.exp(2)
    favor = round(e2 / (2 * e2 + 1), 4)
    assert pred["us_presence"].probs == {
        "favor": favor,
        "against": favor,
        "none": round(1 / (2 * e2 + 1), 4),
    }
    assert pred["us_presence"].label == "favor"  # a tie goes to the first label
    assert pred["sentiment"].probs == {
        "positive": favor,
        "negative": favor,
        "neutral": round(1 / (2 * e2 + 1), 4),
    }
    assert set(pred) == {"us_presence", "militias", "sentiment"}


def test_reversed_id2label_reverses_the_decision(tmp_path: Path, tiny_encoder_dir: Path) -> None:
    # Same logits, but index 0 is now contradiction: every hypothesis is contradicted.
    path = save_tiny_nli(
        tmp_path, tiny_encoder_dir, {0: "CONTRADICTION", 1: "NEUTRAL", 2: "ENTAILMENT"}, [1, 0, -1]
    )
    (pred,) = NLIBackend(path, max_length=64).predict([ClassifyInput("anything")])
    assert pred["us_presence"].label == "none"
    assert pred["sentiment"].label == "neutral"
    assert pred["militias"].confidence == round(1 / (2 * math.exp(-2) + 1), 4)


def test_two_class_model_uses_entailment_against_the_rest(
    tmp_path: Path, nli_dir: Path, tiny_encoder_dir: Path
) -> None:
    # softmax([1, -1])[entailment] = sigmoid(2): the same log-odds as the 3-way model.
    path = save_tiny_nli(
        tmp_path, tiny_encoder_dir, {0: "entailment", 1: "not_entailment"}, [1, -1]
    )
    binary = NLIBackend(path, max_length=64)
    assert binary.contradiction is None
    items = [ClassifyInput("a quote")]
    a, b = binary.predict(items)[0], NLIBackend(nli_dir, max_length=64).predict(items)[0]
    for task in a:
        assert a[task].probs == pytest.approx(b[task].probs, abs=1e-4)


def test_three_way_threshold_and_odds() -> None:
    logit = lambda p: math.log(p / (1 - p))  # noqa: E731
    probs = three_way(
        torch.tensor([logit(0.99), logit(0.4), logit(0.6)]),
        torch.tensor([logit(0.01), logit(0.3), logit(0.7)]),
        threshold=0.5,
    )
    # 0.99 vs 0.01: favor at odds 99 against 1/99 and the threshold's 1.
    assert probs[0].tolist() == pytest.approx(
        [99 / (99 + 1 / 99 + 1), (1 / 99) / 100.0101, 0.01], abs=1e-3
    )
    assert probs.argmax(dim=-1).tolist() == [0, 2, 1]  # favor, none (both < 0.5), against
    stricter = three_way(torch.tensor([logit(0.6)]), torch.tensor([logit(0.1)]), threshold=0.7)
    assert stricter.argmax(dim=-1).tolist() == [2]
    with pytest.raises(ConfigError):
        three_way(torch.tensor([0.0]), torch.tensor([0.0]), threshold=1.0)


# --------------------------------------------------------------------------- batching, targets


def test_all_pairs_of_all_quotes_go_through_in_one_pass(nli_dir: Path, bananas_file: Path) -> None:
    backend = NLIBackend(nli_dir, bananas_file, max_length=64)
    calls = scripted(backend)
    items = [
        ClassifyInput("i loves bananas , great day"),
        ClassifyInput("we hates bananas and it is awful"),
        ClassifyInput("the market opens on monday"),
    ]
    preds = backend.predict(items)
    assert calls == [12]  # 3 quotes x (favor, against, positive, negative), one forward
    assert [p["bananas"].label for p in preds] == ["favor", "against", "none"]
    assert [p["sentiment"].label for p in preds] == ["positive", "negative", "neutral"]
    # entailed at odds e^3, the other side contradicted at e^-3, none at 1
    e3 = math.exp(3)
    assert preds[0]["bananas"].confidence == round(e3 / (e3 + math.exp(-3) + 1), 4)
    assert set(preds[0]) == {"bananas", "sentiment"}


def test_chunks_are_cut_only_by_batch_size(nli_dir: Path, bananas_file: Path) -> None:
    backend = NLIBackend(nli_dir, bananas_file, max_length=64, batch_size=5)
    calls = scripted(backend)
    items = [ClassifyInput(f"quote {i} loves bananas") for i in range(4)]
    preds = backend.predict(items)
    assert calls == [5, 5, 5, 1]  # 16 pairs
    assert all(p["bananas"].label == "favor" for p in preds)
    calls.clear()
    backend.predict(items, batch_size=16)
    assert calls == [16]
    assert backend.predict([]) == []


def test_a_target_added_by_the_environment_is_labelled(
    nli_dir: Path, bananas_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANCEWIRE_TARGETS", str(bananas_file))
    backend = load_backend("nli", model=str(nli_dir), max_length=64)
    scripted(backend)
    assert backend.targets == ["bananas"]
    assert backend.tasks == {
        "bananas": ["favor", "against", "none"],
        "sentiment": ["positive", "negative", "neutral"],
    }
    (pred,) = backend.predict([ClassifyInput("he hates bananas")])
    assert pred["bananas"].label == "against"


def test_premise_uses_the_context_that_contains_the_quote(nli_dir: Path) -> None:
    backend = NLIBackend(nli_dir, max_length=64)
    ctx = '"They must go," the minister said of the occupier.'
    assert backend.premise(ClassifyInput("They must go", ctx)) == ctx
    assert backend.premise(ClassifyInput("They must go", "Another sentence.")) == "They must go"
    assert backend.premise(ClassifyInput("They must go")) == "They must go"
    backend.use_context = False
    assert backend.premise(ClassifyInput("They must go", ctx)) == "They must go"


def test_hypotheses_come_from_the_targets_file(nli_dir: Path) -> None:
    backend = NLIBackend(nli_dir, max_length=64)
    hyps = backend.hypotheses()
    assert [(h.task, h.label) for h in hyps] == [
        ("us_presence", "favor"),
        ("us_presence", "against"),
        ("militias", "favor"),
        ("militias", "against"),
        ("sentiment", "positive"),
        ("sentiment", "negative"),
    ]
    assert hyps[1].text.startswith("The speaker opposes the US military presence")


def test_target_without_hypotheses_gets_generic_ones(nli_dir: Path, tmp_path: Path) -> None:
    path = write_targets(
        tmp_path / "t.json", {"targets": [{"name": "iran", "description": "Iran's role in Iraq."}]}
    )
    backend = NLIBackend(nli_dir, path, max_length=64)
    texts = {(h.task, h.label): h.text for h in backend.hypotheses()}
    assert texts["iran", "favor"] == "The speaker supports this: Iran's role in Iraq."
    assert texts["iran", "against"] == "The speaker opposes this: Iran's role in Iraq."
    assert ("sentiment", "positive") in texts  # the bundled sentiment wording


# --------------------------------------------------------------------------- loading


def test_the_backend_protocol_and_model_info(nli_dir: Path) -> None:
    backend = load_backend("nli", model=str(nli_dir))
    assert isinstance(backend, StanceBackend)
    info = backend.model_info()
    assert isinstance(info, ModelInfo)
    assert info.name == f"nli:{nli_dir}" and info.backend == "nli"
    assert info.details["entailment"] == "entailment"
    assert info.details["contradiction"] == "contradiction"
    assert info.details["none_threshold"] == 0.5


def test_a_hub_name_goes_through_from_pretrained_unchanged(
    nli_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub name is handed to from_pretrained as is (no local-only special case)."""
    import transformers

    seen: list[str] = []
    hub_name = "someorg/tiny-nli"

    def faking(cls: Any) -> type:
        class Fake:
            @staticmethod
            def from_pretrained(name: str, *args: Any, **kwargs: Any) -> Any:
                seen.append(name)
                return cls.from_pretrained(str(nli_dir) if name == hub_name else name)

        return Fake

    monkeypatch.setattr(transformers, "AutoTokenizer", faking(transformers.AutoTokenizer))
    monkeypatch.setattr(
        transformers,
        "AutoModelForSequenceClassification",
        faking(transformers.AutoModelForSequenceClassification),
    )
    backend = load_backend("nli", model=hub_name)
    assert seen == [hub_name, hub_name]
    assert backend.model_info().name == "nli:someorg/tiny-nli"


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--nli-model"):
        load_backend("nli")
    with pytest.raises(ModelLoadError, match="cannot load NLI model"):
        load_backend("nli", model=str(tmp_path / "missing"))
