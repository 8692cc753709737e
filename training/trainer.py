"""Fine-tune the default stance and sentiment model from ``training/data/``.

The bundled recipe (``stancewire train``'s defaults): all-MiniLM-L6-v2 with a
LoRA adapter on the attention and feed-forward projections of its top two
layers, fine-tuned with one head per task on the summed cross-entropy, in
batches of statements of similar length; then
the adapted encoder is fixed and five heads per task, trained from different
seeds on its cached embeddings, replace the fine-tuned ones (their logits are
averaged). Beside them, five stance heads per target are trained on the base
encoder's features (the same top layers without the adapter): the model's
base branch, averaged with the adapted heads at inference. ``--frozen`` skips
the fine-tune and trains the heads on the base encoder. A stratified held-out
split is used once, for temperature scaling and for the held-out metrics
recorded in the model. Seeded, so the same data and arguments give the same
model; about 20 minutes on two CPU cores.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from stancewire.models.classifier import (
    BaseBranchConfig,
    ClassifyInput,
    HeadEnsemble,
    ModelConfig,
    QuoteClassifier,
    StanceModel,
    load_encoder,
    make_heads,
    round_heads,
    speaker_text,
    top_layers,
)
from stancewire.models.schema import SENTIMENT_LABELS, STANCE_LABELS
from stancewire.training.args import TrainArgs
from stancewire.training.calibration import (
    expected_calibration_error,
    fit_lexicon_stack,
    fit_temperature,
)
from stancewire.training.data import Statement, data_fingerprint, load_statements, statement_files
from stancewire.training.model_card import write_model_card

logger = logging.getLogger(__name__)

FEATURE_BATCH = 64
"""Quotes per encoder call for the frozen features and the calibration logits.

Kept at 64, the size the bundled model was trained with, so ``stancewire train``
still reproduces its heads bit for bit; labelling uses ``INFERENCE_BATCH``
(padding changes features only in the last float bits).
"""

ProgressFn = Callable[[str, int, int], None]


def task_labels(targets: Sequence[str]) -> dict[str, list[str]]:
    """Task name -> labels, in the order the heads use."""
    tasks = {t: list(STANCE_LABELS) for t in targets}
    tasks["sentiment"] = list(SENTIMENT_LABELS)
    return tasks


def _label_tensor(rows: Sequence[Statement], task: str, labels: list[str]) -> torch.Tensor:
    if task == "sentiment":
        return torch.tensor([labels.index(r.sentiment) for r in rows])
    return torch.tensor([labels.index(r.stance[task]) for r in rows])


def _inputs(
    rows: Sequence[Statement], *, context: bool = True, speaker: bool = True
) -> list[ClassifyInput]:
    """Classifier inputs for statements, with or without their context and speaker."""
    return [
        ClassifyInput(
            r.quote,
            r.context if context else None,
            speaker_text(r.speaker, r.affiliation) if speaker else None,
        )
        for r in rows
    ]


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def split_statements(
    rows: Sequence[Statement], *, fraction: float, seed: int
) -> tuple[list[Statement], list[Statement]]:
    """Stratified train / held-out split on the joint stance labels."""
    strata = [f"{r.stance.get('us_presence')}|{r.stance.get('militias')}" for r in rows]
    counts: dict[str, int] = {}
    for s in strata:
        counts[s] = counts.get(s, 0) + 1
    strata = [s if counts[s] >= 2 else "rare" for s in strata]
    train, held = train_test_split(
        list(rows), test_size=fraction, random_state=seed, stratify=strata
    )
    return list(train), list(held)


def evaluate_logits(
    logits: dict[str, torch.Tensor], rows: Sequence[Statement], tasks: dict[str, list[str]]
) -> dict[str, float]:
    """Macro-F1 per task and F_avg per target on already computed logits."""
    metrics: dict[str, float] = {}
    for task, labels in tasks.items():
        gold = _label_tensor(rows, task, labels).numpy()
        pred = logits[task].argmax(dim=1).numpy()
        if task == "sentiment":
            metrics["sentiment_macro"] = float(
                f1_score(gold, pred, labels=list(range(3)), average="macro", zero_division=0)
            )
            continue
        per_class = f1_score(gold, pred, labels=list(range(3)), average=None, zero_division=0)
        metrics[f"{task}_favg"] = float((per_class[0] + per_class[1]) / 2)
        metrics[f"{task}_macro3"] = float(per_class.mean())
    return metrics


def _fit_lora(
    clf: QuoteClassifier,
    rows: Sequence[Statement],
    tasks: dict[str, list[str]],
    args: TrainArgs,
    progress: ProgressFn | None,
) -> None:
    """Fine-tune adapter and heads end to end (one encoder pass per batch)."""
    model = clf.model
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": enc_params, "lr": args.learning_rate},
            {"params": list(model.heads.parameters()), "lr": args.head_learning_rate},
        ],
        weight_decay=args.weight_decay,
    )
    steps_per_epoch = (len(rows) + args.batch_size - 1) // args.batch_size
    total_steps = steps_per_epoch * args.epochs
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=[args.learning_rate, args.head_learning_rate],
        total_steps=total_steps,
        pct_start=0.1,
    )
    gold = {t: _label_tensor(rows, t, labels) for t, labels in tasks.items()}
    loss_fn = torch.nn.CrossEntropyLoss()
    rng = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    step = 0
    model.train()
    for epoch in range(args.epochs):
        batches, encoded = _epoch_batches(clf, rows, args, rng, gen)
        epoch_loss = 0.0
        for idx in batches:
            enc = clf.pad([encoded[i] for i in idx])
            out = model(enc["input_ids"], enc["attention_mask"])
            index = torch.tensor(idx)
            loss = sum(loss_fn(out[t], gold[t][index]) for t in tasks)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            epoch_loss += float(loss.detach())
            step += 1
            if progress:
                progress("fine-tune", step, total_steps)
        logger.info("epoch %d: mean loss %.4f", epoch + 1, epoch_loss / steps_per_epoch)


def _epoch_batches(
    clf: QuoteClassifier,
    rows: Sequence[Statement],
    args: TrainArgs,
    rng: random.Random,
    gen: torch.Generator,
) -> tuple[list[list[int]], list[Any]]:
    """One fine-tuning epoch's batches (row indices) and each row's encoding for it.

    Each statement is shown in one view per epoch, its context and speaker
    dropped at random. With ``group_by_length`` the batches are cut from
    mega-batches sorted by length (the ``group_by_length`` recipe of
    transformers' Trainer) and then shuffled: padding to the longest quote in
    a random batch wastes about 40% of the fine-tune's compute on this data,
    since partial quotes without context are a third the length of quotes
    with it. Without it, batches are consecutive slices of a shuffled order
    (the recipe of the models up to 0.5.0, reproduced draw for draw).
    """
    order = list(range(len(rows)))
    rng.shuffle(order)
    items: dict[int, ClassifyInput] = {}
    for i in order:
        row = rows[i]
        items[i] = ClassifyInput(
            row.quote,
            None if rng.random() < args.context_dropout else row.context,
            None
            if rng.random() < args.speaker_dropout
            else speaker_text(row.speaker, row.affiliation),
        )
    tokenized = clf.tokenize([items[i] for i in range(len(rows))])
    size = args.batch_size
    if args.group_by_length:
        from transformers.trainer_pt_utils import get_length_grouped_indices

        lengths = [len(enc["input_ids"]) for enc in tokenized]
        order = get_length_grouped_indices(lengths, size, generator=gen)
    batches = [order[start : start + size] for start in range(0, len(order), size)]
    if args.group_by_length:
        batches = [batches[b] for b in torch.randperm(len(batches), generator=gen).tolist()]
    return batches, tokenized


def _fit_heads(
    clf: QuoteClassifier,
    rows: Sequence[Statement],
    tasks: dict[str, list[str]],
    args: TrainArgs,
    progress: ProgressFn | None,
    *,
    adapted: bool = True,
) -> None:
    """Train heads on cached embeddings of the fixed encoder.

    The model's own heads (unless ``adapted`` is False: a LoRA model keeping its
    fine-tuned single heads) and, if the model has a base branch, that branch's
    heads, on embeddings of the same encoder pass.

    Each statement is embedded once per view it can be shown in: with and
    without its context, and, for a speaker-aware model, with and without its
    speaker. The heads then train for many cheap epochs, sampling one view per
    statement per epoch (the same context and speaker dropout the fine-tune uses).
    """
    model = clf.model
    speaker = clf.config.speaker_input
    dropout = speaker and args.speaker_dropout > 0
    wanted = [(ctx, speaker) for ctx in (True, False)]
    wanted += [(ctx, False) for ctx in (True, False)] if dropout else []
    embedded: dict[str, list[torch.Tensor]] = {}
    for done, (ctx, spk) in enumerate(wanted):
        if progress:
            progress("embed", done, len(wanted))
        inputs = _inputs(rows, context=ctx, speaker=spk)
        for branch, pooled in clf.embed_views(inputs, batch_size=FEATURE_BATCH).items():
            embedded.setdefault(branch, []).append(pooled.clone())
    if progress:
        progress("embed", len(wanted), len(wanted))
    head_sets = [("heads", model.heads, _Views(*embedded["adapted"]))] if adapted else []
    if model.base_heads is not None:
        head_sets.append(("base heads", model.base_heads, _Views(*embedded["base"])))
    gold = {t: _label_tensor(rows, t, labels) for t, labels in tasks.items()}
    model.dropout.train()
    # The heads' matrices are tiny: extra threads only add synchronisation (and
    # stall badly when the cores are shared), so this loop runs on one thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for stage, heads, views in head_sets:
            heads.train()
            _fit_members(
                heads,
                model.dropout,
                views=views,
                gold=gold,
                args=args,
                progress=progress,
                stage=stage,
            )
    finally:
        torch.set_num_threads(threads)


@dataclass
class _Views:
    """Each statement's embeddings, with and without its context.

    As the model reads it (with its speaker, for a speaker-aware model) and, when
    speaker dropout is used, without its speaker as well.
    """

    with_context: torch.Tensor
    without_context: torch.Tensor
    no_speaker_with_context: torch.Tensor | None = None
    no_speaker_without_context: torch.Tensor | None = None

    def sample(self, gen: torch.Generator, args: TrainArgs) -> torch.Tensor:
        """One embedding per statement for an epoch: context and speaker each dropped at random."""
        n = len(self.with_context)
        drop_ctx = (torch.rand(n, generator=gen) < args.context_dropout).unsqueeze(1)
        pooled = torch.where(drop_ctx, self.without_context, self.with_context)
        if self.no_speaker_with_context is None or self.no_speaker_without_context is None:
            return pooled
        drop_spk = (torch.rand(n, generator=gen) < args.speaker_dropout).unsqueeze(1)
        unspoken = torch.where(
            drop_ctx, self.no_speaker_without_context, self.no_speaker_with_context
        )
        return torch.where(drop_spk, unspoken, pooled)


def _fit_members(
    head_set: torch.nn.ModuleDict,
    dropout: torch.nn.Module,
    *,
    views: _Views,
    gold: dict[str, torch.Tensor],
    args: TrainArgs,
    progress: ProgressFn | None,
    stage: str = "heads",
) -> None:
    """The head-training loop of :func:`_fit_heads`, one member of each task's heads at a time."""
    n = len(views.with_context)
    loss_fn = torch.nn.CrossEntropyLoss()
    epochs = args.head_epochs
    members = args.head_members
    for member in range(members):
        # Each member of an ensemble sees its own order and context-dropout draws
        # (seed + member) and has its own optimiser; with one member this is
        # exactly the single-head recipe.
        heads = {
            t: h.members[member] if isinstance(h, HeadEnsemble) else h for t, h in head_set.items()
        }
        params = [p for h in heads.values() for p in h.parameters()]
        optimizer = torch.optim.AdamW(
            params, lr=args.head_learning_rate, weight_decay=args.weight_decay
        )
        gen = torch.Generator().manual_seed(args.seed + member)
        for epoch in range(epochs):
            pooled = views.sample(gen, args)
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, args.batch_size):
                idx = order[start : start + args.batch_size]
                batch = dropout(pooled[idx])
                loss = sum(loss_fn(head(batch), gold[t][idx]) for t, head in heads.items())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if progress:
                progress(stage, member * epochs + epoch + 1, members * epochs)


def _calibrate_branches(
    clf: QuoteClassifier,
    held: dict[str, torch.Tensor],
    rows: Sequence[Statement],
    tasks: dict[str, list[str]],
) -> dict[str, dict[str, float]]:
    """Fit each branch's temperature on the held-out split; return each branch's metrics.

    The temperatures go into the model (so :meth:`StanceModel.combine` averages
    calibrated logits) and its config's ``base_branch``.
    """
    model = clf.model
    assert model.base_heads is not None and model.base_layers is not None
    voting = {t: tasks[t] for t in model.base_heads}
    with torch.inference_mode():
        branch_logits = {
            "adapted": model.classify(held["adapted"]),
            "base": model.classify_base(held["base"]),
        }
    temperatures = {
        name: {
            t: round(fit_temperature(logits[t], _label_tensor(rows, t, voting[t])), 4)
            for t in voting
        }
        for name, logits in branch_logits.items()
    }
    model.branch_temperatures = temperatures
    clf.config.base_branch = BaseBranchConfig(
        layers=len(model.base_layers), tasks=list(voting), temperatures=temperatures
    )
    return {
        name: evaluate_logits({t: logits[t] for t in voting}, rows, voting)
        for name, logits in branch_logits.items()
    }


def _stack_sentiment(
    clf: QuoteClassifier,
    logits: torch.Tensor,
    rows: Sequence[Statement],
    report: dict[str, Any],
    args: TrainArgs,
) -> None:
    """Fit the sentiment lexicon stack on the held-out split and put it in the config.

    ``report`` (the sentiment row of the calibration metrics) gains the stack's
    chosen C and its cross-validated ECE and macro-F1, beside the macro-F1 of the
    temperature-scaled head alone on the same rows.
    """
    labels = clf.tasks["sentiment"]
    gold = _label_tensor(rows, "sentiment", labels)
    scaled = logits / clf.config.temperatures["sentiment"]
    fitted = fit_lexicon_stack(scaled, [r.quote for r in rows], gold, labels, seed=args.seed)
    if fitted is None:
        logger.warning("too few held-out rows of some sentiment label: no lexicon stack")
        return
    clf.config.sentiment_lexicon, held_probs = fitted
    sentiment = {"sentiment": labels}
    report["lexicon"] = {
        "c": clf.config.sentiment_lexicon.c,
        "ece_cv": round(expected_calibration_error(held_probs, gold), 4),
        "macro_f1_cv": round(
            evaluate_logits({"sentiment": held_probs}, rows, sentiment)["sentiment_macro"], 4
        ),
        "macro_f1_head": round(
            evaluate_logits({"sentiment": logits}, rows, sentiment)["sentiment_macro"], 4
        ),
    }


def train(args: TrainArgs, *, progress: ProgressFn | None = None) -> Path:
    """Train, calibrate and save a model; returns the model directory.

    Args:
        args: training settings (see :class:`TrainArgs`).
        progress: optional callback ``(stage, done, total)`` for a progress bar.
    """
    from peft import LoraConfig, get_peft_model

    started = time.time()
    torch.set_num_threads(max(1, args.threads))
    _seed_everything(args.seed)
    files = statement_files(args.data_dir)
    rows = load_statements(files, targets=args.targets)
    if args.limit:
        rows = random.Random(args.seed).sample(rows, min(args.limit, len(rows)))
    train_rows, held_rows = split_statements(rows, fraction=args.holdout_fraction, seed=args.seed)
    tasks = task_labels(args.targets)
    logger.info("training on %d statements, %d held out", len(train_rows), len(held_rows))

    encoder, tokenizer = load_encoder(args.base_model)
    base_layers = None
    if args.lora:
        # Adapting only the top layers leaves the lower ones frozen with inputs
        # that need no gradient, so the backward pass stops there: most of the
        # stance signal is learnt for a fraction of the cost on 2 cores.
        n_layers = encoder.config.num_hidden_layers
        top = min(args.lora_layers or n_layers, n_layers)
        if args.base_branch:  # the base weights of the layers the adapter will change
            base_layers = top_layers(encoder, top)
        encoder = get_peft_model(
            encoder,
            LoraConfig(
                r=args.lora_r,
                lora_alpha=args.lora_alpha,
                lora_dropout=args.lora_dropout,
                target_modules=["query", "key", "value", "dense"],
                layers_to_transform=list(range(n_layers - top, n_layers)),
                layers_pattern="layer",
                bias="none",
            ),
        )
    else:
        for p in encoder.parameters():
            p.requires_grad = False
    # With LoRA the adapter is fine-tuned with a single head per task; a head
    # ensemble, if asked for, is trained afterwards on the adapted encoder.
    model = StanceModel(
        encoder,
        tasks,
        head_hidden=args.head_hidden,
        head_members=1 if args.lora else args.head_members,
    )
    config = ModelConfig(
        tasks=tasks,
        base_model=args.base_model,
        max_length=args.max_length,
        lora=args.lora,
        head_hidden=args.head_hidden,
        head_members=args.head_members,
        speaker_input=args.speaker_input,
        version=args.version,
    )
    clf = QuoteClassifier(model, tokenizer, config)
    if args.lora:
        _fit_lora(clf, train_rows, tasks, args, progress)
        model.eval()  # no LoRA dropout while the heads' features are computed
        # LoRA teaches the encoder what the words of a quote do (polarity, tone)
        # that frozen MiniLM features miss, but its one head lands wherever its
        # seed takes it: an ensemble trained on the adapted encoder's features
        # replaces it, keeping the first and removing most of the second.
        refit = args.head_members > 1
        if refit:
            model.heads = make_heads(
                int(encoder.config.hidden_size),
                tasks,
                hidden=args.head_hidden,
                members=args.head_members,
            )
        if base_layers is not None:
            model.add_base_branch(
                base_layers,
                {t: tasks[t] for t in args.targets},
                head_hidden=args.head_hidden,
                head_members=args.head_members,
            )
        if refit or base_layers is not None:
            _fit_heads(clf, train_rows, tasks, args, progress, adapted=refit)
    else:
        _fit_heads(clf, train_rows, tasks, args, progress)
    model.eval()
    round_heads(model)  # calibrate and report the weights that are saved

    with torch.inference_mode():
        held = clf.embed_views(_inputs(held_rows), batch_size=FEATURE_BATCH)
    metrics: dict[str, Any] = {}
    if model.base_heads is not None:
        metrics["branches"] = _calibrate_branches(clf, held, held_rows, tasks)
    with torch.inference_mode():
        held_logits = model.combine(held)
    metrics["heldout"] = evaluate_logits(held_logits, held_rows, tasks)
    calibration: dict[str, dict[str, float]] = {}
    for task, labels in tasks.items():
        gold = _label_tensor(held_rows, task, labels)
        temp = fit_temperature(held_logits[task], gold)
        config.temperatures[task] = round(temp, 4)
        calibration[task] = {
            "temperature": round(temp, 4),
            "ece_before": round(expected_calibration_error(held_logits[task].softmax(-1), gold), 4),
            "ece_after": round(
                expected_calibration_error((held_logits[task] / temp).softmax(-1), gold), 4
            ),
        }
    if args.sentiment_lexicon and "sentiment" in tasks:
        _stack_sentiment(clf, held_logits["sentiment"], held_rows, calibration["sentiment"], args)
    metrics["calibration"] = calibration
    config.training = {
        "args": args.to_json(),
        "data_files": [p.name for p in files],
        "data_sha256": data_fingerprint(files),
        "n_train": len(train_rows),
        "n_heldout": len(held_rows),
        "seconds": round(time.time() - started, 1),
        "metrics": metrics,
    }
    out_dir = clf.save(args.output_dir)
    write_model_card(out_dir)
    logger.info("saved model to %s", out_dir)
    return out_dir
