from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.errors import ConfigError
from stancewire.training.args import TrainArgs
from stancewire.training.trainer import train


def tiny_args(output_dir: Path, encoder_dir: Path, data_dir: Path, **overrides) -> TrainArgs:
    """Training arguments for the tiny encoder and data: batches of 8, a quarter held out."""
    return TrainArgs(
        output_dir=output_dir,
        data_dir=data_dir,
        base_model=str(encoder_dir),
        **({"batch_size": 8, "holdout_fraction": 0.25} | overrides),
    )


TINY_LORA = {"epochs": 1, "lora": True, "lora_r": 4, "lora_alpha": 8, "lora_layers": 1}
"""A one-epoch LoRA on the tiny encoder's top layer."""


def test_trainer_writes_small_model_dir_without_base_weights(tiny_model_dir: Path) -> None:
    names = sorted(p.name for p in tiny_model_dir.iterdir())
    assert names == ["MODEL_CARD.md", "adapter", "heads.safetensors", "model.json"]
    card = (tiny_model_dir / "MODEL_CARD.md").read_text()
    assert "LoRA adapter" in card and "ECE after" in card
    adapter_files = {p.name for p in (tiny_model_dir / "adapter").iterdir()}
    assert "adapter_model.safetensors" in adapter_files
    assert not any("pytorch_model" in n or n == "model.safetensors" for n in adapter_files)
    config = json.loads((tiny_model_dir / "model.json").read_text())
    training = config["training"]
    assert training["n_train"] + training["n_heldout"] == 36
    assert set(config["temperatures"]) == {"us_presence", "militias", "sentiment"}
    for task in ("us_presence", "militias", "sentiment"):
        cal = training["metrics"]["calibration"][task]
        assert cal["ece_after"] >= 0 and cal["temperature"] > 0


def test_trainer_frozen_heads_is_seeded_and_reproducible(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    def run(out: Path) -> list[dict[str, float]]:
        args = tiny_args(
            out,
            tiny_encoder_dir,
            tiny_data_dir,
            lora=False,
            head_epochs=20,
            seed=3,
        )
        clf = QuoteClassifier.load(train(args))
        return [
            p["us_presence"].probs for p in clf.predict([ClassifyInput("US forces must leave")])
        ]

    first = run(tmp_path / "a")
    assert first == run(tmp_path / "b")
    assert not (tmp_path / "a" / "adapter").exists()


def test_trainer_learns_the_training_signal(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    """On its own (tiny, repeated) training data the model must beat chance by far."""
    args = tiny_args(
        tmp_path / "m",
        tiny_encoder_dir,
        tiny_data_dir,
        lora=False,
        head_epochs=150,
        context_dropout=0.0,
        head_learning_rate=1e-2,
    )
    clf = QuoteClassifier.load(train(args))
    from tests.conftest import STATEMENTS

    preds = clf.predict([ClassifyInput(q, f"An official said: {q} (0).") for q, *_ in STATEMENTS])
    correct = sum(
        p["sentiment"].label == s for p, (_, _, _, s) in zip(preds, STATEMENTS, strict=True)
    )
    assert correct >= 9  # of 12; chance is 4


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 0},
        {"holdout_fraction": 0.6},
        {"context_dropout": 2.0},
        {"speaker_dropout": -0.1},
        {"targets": ()},
    ],
)
def test_train_args_validate(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        TrainArgs(**kwargs)


def test_lora_on_the_top_layers_adapts_only_those_and_reloads(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    from safetensors import safe_open

    args = tiny_args(
        tmp_path / "top",
        tiny_encoder_dir,
        tiny_data_dir,
        **TINY_LORA,
    )
    out = train(args)
    n_layers = json.loads((tiny_encoder_dir / "config.json").read_text())["num_hidden_layers"]
    with safe_open(str(out / "adapter" / "adapter_model.safetensors"), "pt") as fh:
        layers = {int(k.split(".layer.")[1].split(".")[0]) for k in fh.keys()}
    assert layers == {n_layers - 1}
    saved = json.loads((out / "model.json").read_text())["training"]["args"]
    assert saved["lora_layers"] == 1
    clf = QuoteClassifier.load(out)
    (pred,) = clf.predict([ClassifyInput("US forces must leave")])
    assert abs(sum(pred["us_presence"].probs.values()) - 1) < 1e-5


def test_lora_layers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="lora_layers"):
        TrainArgs(output_dir=tmp_path, lora_layers=0)


def test_a_head_ensemble_averages_distinct_members_and_reloads_identically(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    import torch

    from stancewire.models.classifier import HeadEnsemble

    args = tiny_args(
        tmp_path / "ens",
        tiny_encoder_dir,
        tiny_data_dir,
        lora=False,
        head_epochs=10,
        head_members=3,
    )
    out = train(args)
    config = json.loads((out / "model.json").read_text())
    assert config["head_members"] == 3
    assert "--frozen --head-members 3" in (out / "MODEL_CARD.md").read_text()
    clf = QuoteClassifier.load(out)
    head = clf.model.heads["us_presence"]
    assert isinstance(head, HeadEnsemble) and len(head.members) == 3
    pooled = clf.embed([ClassifyInput("US forces must leave"), ClassifyInput("We welcome them")])
    with torch.no_grad():
        each = torch.stack([m(pooled) for m in head.members])
        # members were trained from different seeds, so they disagree ...
        assert not torch.allclose(each[0], each[1])
        # ... and the ensemble's logits are their mean
        assert torch.allclose(head(pooled), each.mean(0), atol=1e-6)
    again = QuoteClassifier.load(out)
    items = [ClassifyInput("US forces must leave", "He said US forces must leave.")]
    assert clf.predict(items)[0]["militias"].probs == again.predict(items)[0]["militias"].probs


def test_head_members_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="head_members"):
        TrainArgs(output_dir=tmp_path, lora=False, head_members=0)


def test_lora_then_a_head_ensemble_on_the_adapted_encoder(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    """The bundled recipe: LoRA with one head, then averaged heads trained on its features."""
    from stancewire.models.classifier import HeadEnsemble

    def run(out: Path) -> Path:
        args = tiny_args(
            out,
            tiny_encoder_dir,
            tiny_data_dir,
            **TINY_LORA,
            head_members=3,
            head_epochs=10,
            seed=5,
        )
        return train(args)

    out = run(tmp_path / "a")
    assert (out / "adapter").is_dir()
    config = json.loads((out / "model.json").read_text())
    assert config["lora"] and config["head_members"] == 3
    card = (out / "MODEL_CARD.md").read_text()
    assert "--lora --epochs 1 --lora-layers 1 --head-members 3" in card
    clf = QuoteClassifier.load(out)
    head = clf.model.heads["sentiment"]
    assert isinstance(head, HeadEnsemble) and len(head.members) == 3
    items = [ClassifyInput("US forces must leave", "He said US forces must leave.")]
    # seeded end to end: the same arguments give the same model
    again = QuoteClassifier.load(run(tmp_path / "b"))
    assert clf.predict(items)[0]["militias"].probs == again.predict(items)[0]["militias"].probs


def _speaker_data(path: Path) -> Path:
    """Statements whose militia stance is decided by who says them, not by the words."""
    path.mkdir(parents=True, exist_ok=True)
    sides = [
        ("Abu Ali al-Askari", "Kataib Hezbollah", "favor"),
        ("John Kirby", "Pentagon", "against"),
    ]
    quotes = [f"We have said what we had to say about the events of week {w}" for w in range(10)]
    rows = []
    for n, quote in enumerate(quotes):
        for speaker, affiliation, stance in sides:
            rows.append(
                {
                    "id": f"s-{len(rows)}",
                    "quote": quote,
                    "context": f"{quote}, the spokesman said on day {n}.",
                    "speaker": speaker,
                    "speaker_type": "person",
                    "affiliation": affiliation,
                    "kind": "direct",
                    "stance": {"us_presence": "none", "militias": stance},
                    "sentiment": "neutral",
                }
            )
    (path / "speakers.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize("speakers", [True, False])
def test_a_speaker_aware_model_learns_who_speaks(
    tmp_path: Path, tiny_encoder_dir: Path, speakers: bool
) -> None:
    from stancewire.models.classifier import speaker_text

    args = tiny_args(
        tmp_path / "m",
        tiny_encoder_dir,
        _speaker_data(tmp_path / "data"),
        lora=False,
        head_epochs=150,
        holdout_fraction=0.2,
        head_learning_rate=1e-2,
        speaker_input=speakers,
        speaker_dropout=0.0,
    )
    clf = QuoteClassifier.load(train(args))
    assert clf.config.speaker_input is speakers
    quote = "We have said what we had to say about this"
    militant = speaker_text("Abu Ali al-Askari", "Kataib Hezbollah")
    official = speaker_text("John Kirby", "Pentagon")
    preds = clf.predict(
        [ClassifyInput(quote, None, militant), ClassifyInput(quote, None, official)]
    )
    labels = [p["militias"].label for p in preds]
    if speakers:
        assert labels == ["favor", "against"]
    else:  # the same words, and the speaker is not read: one answer for both
        assert preds[0]["militias"].probs == preds[1]["militias"].probs
    assert ("--no-speakers" in (tmp_path / "m" / "MODEL_CARD.md").read_text()) is not speakers


def test_heads_are_stored_in_half_precision_and_the_trained_model_is_the_saved_one(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    from safetensors import safe_open

    from stancewire.models.classifier import HEADS_FILE

    args = tiny_args(
        tmp_path / "m",
        tiny_encoder_dir,
        tiny_data_dir,
        lora=False,
        head_epochs=5,
    )
    out = train(args)
    with safe_open(str(out / HEADS_FILE), "pt") as fh:
        assert {str(fh.get_tensor(k).dtype) for k in fh.keys()} == {"torch.float16"}
    # the held-out metrics were computed on the rounded weights, so reloading reproduces them
    clf = QuoteClassifier.load(out)
    assert all(
        p.dtype.is_floating_point and p.dtype.itemsize == 4 for p in clf.model.heads.parameters()
    )
    saved = json.loads((out / "model.json").read_text())["training"]["metrics"]["heldout"]
    from stancewire.training.data import load_statements, statement_files
    from stancewire.training.trainer import _inputs, evaluate_logits, split_statements, task_labels

    rows = load_statements(statement_files(tiny_data_dir), targets=args.targets)
    _, held = split_statements(rows, fraction=args.holdout_fraction, seed=args.seed)
    again = evaluate_logits(
        clf.logits(_inputs(held), batch_size=64), held, task_labels(args.targets)
    )
    assert again == saved


def test_a_base_branch_reads_the_adapted_layers_with_their_base_weights(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    """The bundled recipe's second reading: stance heads on the top layers without the adapter."""
    import torch

    from stancewire.models.backends.onnx import OnnxQuoteClassifier
    from stancewire.models.classifier import load_encoder

    args = tiny_args(
        tmp_path / "m",
        tiny_encoder_dir,
        tiny_data_dir,
        **TINY_LORA,
        head_members=2,
        head_epochs=10,
        base_branch=True,
    )
    out = train(args)
    assert (out / "base_heads.safetensors").is_file()
    config = json.loads((out / "model.json").read_text())
    branch = config["base_branch"]
    assert branch["layers"] == 1 and branch["tasks"] == ["us_presence", "militias"]
    assert set(branch["temperatures"]) == {"adapted", "base"}
    assert set(config["training"]["metrics"]["branches"]["base"]) == {
        "us_presence_favg",
        "us_presence_macro3",
        "militias_favg",
        "militias_macro3",
    }
    assert "--base-branch" in (out / "MODEL_CARD.md").read_text()

    clf = QuoteClassifier.load(out)
    model = clf.model
    # the branch's layer is the base encoder's own, not the merged adapter's
    base, _ = load_encoder(str(tiny_encoder_dir))
    original = base.encoder.layer[-1].state_dict()
    branch_layer = model.base_layers[0].state_dict()
    adapted_layer = model.encoder.encoder.layer[-1].state_dict()
    assert all(torch.equal(original[k], branch_layer[k]) for k in original)
    assert any(not torch.equal(original[k], adapted_layer[k]) for k in original)

    items = [
        ClassifyInput("US forces must leave", "He said US forces must leave.", "Hadi al-Amiri"),
        ClassifyInput("The factions are a danger to the state"),
    ]
    enc = clf.encode(items)
    with torch.inference_mode():
        views = model.embed_views(enc["input_ids"], enc["attention_mask"])
        # the base view is what the plain base encoder gives, whatever the lower layers shared
        plain = base(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])
        mask = enc["attention_mask"].unsqueeze(-1).float()
        expected = (plain.last_hidden_state * mask).sum(1) / mask.sum(1)
        assert torch.allclose(views["base"], expected, atol=1e-5)
        # stance averages the two branches' calibrated logits; sentiment is the adapted heads'
        logits = clf.logits(items)
        adapted = model.classify(views["adapted"])
        base_logits = model.classify_base(views["base"])
    temps = branch["temperatures"]
    mixed = (
        adapted["militias"] / temps["adapted"]["militias"]
        + base_logits["militias"] / temps["base"]["militias"]
    ) / 2
    assert torch.allclose(logits["militias"], mixed, atol=1e-5)
    assert torch.allclose(logits["sentiment"], adapted["sentiment"], atol=1e-5)
    # and the ONNX graph carries the branch too
    onnx_clf = OnnxQuoteClassifier.load(out, quantize=False, cache_dir=tmp_path / "cache")
    got = onnx_clf.logits(items)
    assert all(torch.allclose(got[t], logits[t], atol=1e-4) for t in clf.tasks)


def test_a_base_branch_needs_lora(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="base branch"):
        TrainArgs(output_dir=tmp_path, lora=False, base_branch=True)


def test_the_trainer_stacks_sentiment_with_the_lexicon_when_asked(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path, tiny_model_dir: Path
) -> None:
    args = tiny_args(
        tmp_path / "m",
        tiny_encoder_dir,
        tiny_data_dir,
        **TINY_LORA,
        sentiment_lexicon=True,
        holdout_fraction=0.45,  # every sentiment label twice in the held-out split
    )
    out = train(args)
    config = json.loads((out / "model.json").read_text())
    stack = config["sentiment_lexicon"]
    assert stack["labels"] == config["tasks"]["sentiment"]
    assert [len(row) for row in stack["coef"]] == [7, 7, 7]
    report = config["training"]["metrics"]["calibration"]["sentiment"]["lexicon"]
    assert set(report) == {"c", "ece_cv", "macro_f1_cv", "macro_f1_head"}
    assert 0 <= report["ece_cv"] <= 1 and report["c"] == stack["c"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "VADER" in card and "--no-base-branch --sentiment-lexicon --seed" in card
    # the stack is what the loaded model's sentiment comes from
    clf = QuoteClassifier.load(out)
    assert clf.config.sentiment_lexicon is not None
    assert clf.config.sentiment_lexicon.coef == stack["coef"]
    # a model trained without it has none, and its card neither describes nor asks for one
    assert "sentiment_lexicon" not in json.loads((tiny_model_dir / "model.json").read_text())
    card = (tiny_model_dir / "MODEL_CARD.md").read_text()
    assert "VADER" not in card and "--sentiment-lexicon" not in card


class _WordTokenizer:
    """Stands in for a classifier's tokenizer: one token per word of quote and context."""

    def tokenize(self, items: list[ClassifyInput]) -> list[dict[str, list[int]]]:
        return [{"input_ids": [0] * len(f"{it.text} {it.context or ''}".split())} for it in items]


def _statements(n: int) -> list:
    from stancewire.training.data import Statement

    # lengths from 2 to 60 words, in no order: what partial and full quotes give
    return [
        Statement(
            id=f"s{i}",
            quote=" ".join(["word"] * (2 + (i * 37) % 59)),
            context="",
            speaker="someone",
            speaker_type="person",
            kind="direct",
            stance={"us_presence": "none", "militias": "none"},
            sentiment="neutral",
        )
        for i in range(n)
    ]


def _padded_tokens(batches: list[list[int]], encoded: list[dict]) -> int:
    return sum(max(len(encoded[i]["input_ids"]) for i in b) * len(b) for b in batches)


@pytest.mark.parametrize("grouped", [False, True])
def test_each_epoch_shows_every_statement_once(tmp_path: Path, grouped: bool) -> None:
    import random

    import torch

    from stancewire.training.trainer import _epoch_batches

    rows = _statements(300)
    args = TrainArgs(output_dir=tmp_path, batch_size=16, group_by_length=grouped)
    batches, encoded = _epoch_batches(
        _WordTokenizer(), rows, args, random.Random(1), torch.Generator().manual_seed(1)
    )
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(300))
    assert all(len(b) <= 16 for b in batches) and len(batches) == 19
    assert len(encoded) == 300


def test_length_grouped_batches_pad_less_and_are_seeded(tmp_path: Path) -> None:
    import random

    import torch

    from stancewire.training.trainer import _epoch_batches

    rows = _statements(640)

    def epoch(grouped: bool, seed: int) -> tuple[list[list[int]], list[dict]]:
        args = TrainArgs(output_dir=tmp_path, batch_size=32, group_by_length=grouped)
        return _epoch_batches(
            _WordTokenizer(), rows, args, random.Random(seed), torch.Generator().manual_seed(seed)
        )

    grouped, encoded = epoch(True, 5)
    shuffled, _ = epoch(False, 5)
    real = sum(len(e["input_ids"]) for e in encoded)
    # random batches of 32 pad nearly every quote to the longest length; grouped ones
    # (mega-batches of 160 here, sorted) to about the longest of their neighbours
    assert _padded_tokens(shuffled, encoded) > 1.6 * real
    assert _padded_tokens(grouped, encoded) < 1.25 * real
    assert epoch(True, 5)[0] == grouped
    assert epoch(True, 6)[0] != grouped
    # the batch order is shuffled too: not longest-first, as a sorted list would give
    longest = [max(len(encoded[i]["input_ids"]) for i in b) for b in grouped]
    assert longest != sorted(longest, reverse=True)


def test_random_batches_draw_as_the_recipe_up_to_0_5_0_did(tmp_path: Path) -> None:
    """Without grouping, batches and dropped contexts match the old loop draw for draw,
    so a model.json of 0.5.0 or earlier still rebuilds the same model."""
    import random

    import torch

    from stancewire.models.classifier import speaker_text
    from stancewire.training.trainer import _epoch_batches

    class Echo:
        def tokenize(self, items: list[ClassifyInput]) -> list[ClassifyInput]:
            return list(items)

    rows = _statements(70)
    rows = [r.model_copy(update={"context": f"context {i}"}) for i, r in enumerate(rows)]
    args = TrainArgs(output_dir=tmp_path, batch_size=16, speaker_dropout=0.2)
    rng, old_rng = random.Random(4), random.Random(4)
    gen = torch.Generator().manual_seed(4)
    for _epoch in range(2):
        batches, encoded = _epoch_batches(Echo(), rows, args, rng, gen)
        order = list(range(len(rows)))  # the loop of 0.5.0's trainer
        old_rng.shuffle(order)
        for start, batch in zip(range(0, len(order), 16), batches, strict=True):
            idx = order[start : start + 16]
            old = [
                ClassifyInput(
                    rows[i].quote,
                    None if old_rng.random() < args.context_dropout else rows[i].context,
                    None
                    if old_rng.random() < args.speaker_dropout
                    else speaker_text(rows[i].speaker, rows[i].affiliation),
                )
                for i in idx
            ]
            assert batch == idx
            assert [encoded[i] for i in batch] == old
