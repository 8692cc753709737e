"""Training arguments: how a model was trained, validated up front and saved with it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stancewire.models.classifier import DEFAULT_BASE_MODEL
from stancewire.models.errors import ConfigError

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_LORA_LAYERS = 2
"""``stancewire train``'s LoRA depth: the top two encoder layers (the bundled recipe)."""
DEFAULT_LORA_EPOCHS = 3
"""``stancewire train``'s LoRA epochs (the bundled recipe)."""


@dataclass
class TrainArgs:
    """Settings for :func:`stancewire.training.trainer.train`.

    ``stancewire train``'s defaults (LoRA on the top :data:`DEFAULT_LORA_LAYERS`
    layers for :data:`DEFAULT_LORA_EPOCHS` epochs in length-grouped batches,
    then ``head_members=5`` and ``base_branch=True``) reproduce the bundled
    model; every field is saved into the model's ``model.json`` so a model
    always says how it was made. ``group_by_length`` is off here so that the
    ``model.json`` of a model made before it existed (0.5.0 and earlier, random
    batches) still rebuilds the same model.
    """

    output_dir: Path = Path("models/artifacts/default")
    data_dir: Path = DATA_DIR
    base_model: str = DEFAULT_BASE_MODEL
    targets: tuple[str, ...] = ("us_presence", "militias")
    seed: int = 13
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 4e-4
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    max_length: int = 128
    lora: bool = True
    head_hidden: int = 96
    head_epochs: int = 60
    head_members: int = 1
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    lora_layers: int | None = None
    base_branch: bool = False
    sentiment_lexicon: bool = False
    context_dropout: float = 0.3
    group_by_length: bool = False
    speaker_input: bool = True
    speaker_dropout: float = 0.0
    holdout_fraction: float = 0.15
    limit: int | None = None
    version: str = "0.7.0"
    threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        self.data_dir = Path(self.data_dir)
        self.targets = tuple(self.targets)
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("epochs and batch_size must be positive")
        if not 0.0 < self.holdout_fraction < 0.5:
            raise ConfigError("holdout_fraction must be in (0, 0.5)")
        if not 0.0 <= self.context_dropout <= 1.0:
            raise ConfigError("context_dropout must be in [0, 1]")
        if not 0.0 <= self.speaker_dropout <= 1.0:
            raise ConfigError("speaker_dropout must be in [0, 1]")
        if self.lora_layers is not None and self.lora_layers < 1:
            raise ConfigError("lora_layers must be >= 1 (or None for every layer)")
        if self.base_branch and not self.lora:
            raise ConfigError("a base branch reads the layers a LoRA adapter changed: needs lora")
        if self.head_members < 1:
            raise ConfigError("head_members must be >= 1")
        if not self.targets:
            raise ConfigError("at least one target is needed")

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["output_dir"] = str(self.output_dir)
        d["data_dir"] = str(self.data_dir)
        d["targets"] = list(self.targets)
        return d
