from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancewire.models.classifier import ClassifyInput, QuoteClassifier
from stancewire.models.errors import ConfigError
from stancewire.training.args import TrainArgs
from stancewire.training.trainer import train


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
        args = TrainArgs(
            output_dir=out,
            data_dir=tiny_data_dir,
            base_model=str(tiny_encoder_dir),
            lora=False,
            head_epochs=20,
            batch_size=8,
            holdout_fraction=0.25,
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
    args = TrainArgs(
        output_dir=tmp_path / "m",
        data_dir=tiny_data_dir,
        base_model=str(tiny_encoder_dir),
        lora=False,
        head_epochs=150,
        batch_size=8,
        holdout_fraction=0.25,
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
    [{"epochs": 0}, {"holdout_fraction": 0.6}, {"context_dropout": 2.0}, {"targets": ()}],
)
def test_train_args_validate(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        TrainArgs(**kwargs)


def test_lora_on_the_top_layers_adapts_only_those_and_reloads(
    tmp_path: Path, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> None:
    from safetensors import safe_open

    args = TrainArgs(
        output_dir=tmp_path / "top",
        data_dir=tiny_data_dir,
        base_model=str(tiny_encoder_dir),
        epochs=1,
        batch_size=8,
        lora=True,
        lora_r=4,
        lora_alpha=8,
        lora_layers=1,
        holdout_fraction=0.25,
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

    args = TrainArgs(
        output_dir=tmp_path / "ens",
        data_dir=tiny_data_dir,
        base_model=str(tiny_encoder_dir),
        lora=False,
        head_epochs=10,
        head_members=3,
        batch_size=8,
        holdout_fraction=0.25,
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


def test_head_members_need_the_frozen_recipe(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="head_members"):
        TrainArgs(output_dir=tmp_path, lora=True, head_members=2)
    with pytest.raises(ConfigError, match="head_members"):
        TrainArgs(output_dir=tmp_path, lora=False, head_members=0)
