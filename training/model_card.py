"""Write a model card (``MODEL_CARD.md``) beside a trained model.

The card is generated from ``model.json`` so it can never disagree with the
model it describes: data, training command, held-out metrics, calibration,
intended use and limits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_model_card(
    model_dir: Path, *, extra_metrics: dict[str, dict[str, Any]] | None = None
) -> str:
    """The card's Markdown for the model in ``model_dir``.

    Args:
        model_dir: a directory written by the trainer.
        extra_metrics: optional evaluation results to include, by set name
            (e.g. ``{"seeds (oracle quotes)": {...}}``).
    """
    config = json.loads((model_dir / "model.json").read_text("utf-8"))
    training = config.get("training", {})
    args = training.get("args", {})
    metrics = training.get("metrics", {})
    layers = args.get("lora_layers")
    where = f"the top {layers} layers'" if layers else "every"
    members = int(config.get("head_members") or 1)
    recipe = (
        f"LoRA adapter (r={args.get('lora_r')}, alpha={args.get('lora_alpha')}) on {where} "
        "attention and feed-forward projections, fine-tuned with one head per task "
        f"for {args.get('epochs')} epochs"
        + (
            f"; then {members} heads per task trained on the adapted (now fixed) "
            "encoder's mean-pooled embeddings replace the fine-tuned ones"
            if members > 1
            else ""
        )
        if config.get("lora")
        else "frozen encoder; heads trained on its mean-pooled embeddings"
    )
    branch = config.get("base_branch")
    if branch:
        recipe += (
            f"; beside them, {members} heads per stance target ("
            + ", ".join(f"`{t}`" for t in branch["tasks"])
            + f") trained on the same encoder with the top {branch['layers']} layers' base "
            "weights, without the adapter (the base branch); at inference those layers run "
            "twice from the shared lower ones, and each branch's logits, divided by its own "
            "held-out temperature, are averaged"
        )
    mode = "--lora" if config.get("lora") else "--frozen"
    if config.get("lora"):
        mode += f" --epochs {args.get('epochs')}"
        if layers:
            mode += f" --lora-layers {layers}"
    if members > 1 or not config.get("lora"):
        mode += f" --head-members {members}"
    if config.get("lora"):
        mode += " --base-branch" if branch else " --no-base-branch"
    stack = config.get("sentiment_lexicon")
    if stack:
        mode += " --sentiment-lexicon"
    speakers = bool(config.get("speaker_input"))
    if not speakers:
        mode += " --no-speakers"
    elif args.get("speaker_dropout"):
        mode += f" --speaker-dropout {args.get('speaker_dropout')}"
    reads = (
        "the speaker (name and affiliation) and the quote, paired with the quote's sentence"
        if speakers
        else "the quote paired with its sentence"
    )
    lines = [
        f"# stancewire model {config.get('version')}",
        "",
        "Stance toward "
        + ", ".join(f"`{t}`" for t in config["tasks"] if t != "sentiment")
        + " and sentiment of quotes in news about Iraq (docs/ANNOTATION.md sections 3-4).",
        "",
        "## Model",
        f"- Base encoder: `{config.get('base_model')}` (all-MiniLM-L6-v2; not copied here).",
        f"- {recipe}.",
        f"- One head per task (hidden width {config.get('head_hidden') or 'none: linear'}"
        + (f"; {members} members from different seeds, logits averaged" if members > 1 else "")
        + "); one encoder pass per quote for all labels. Head weights are stored in "
        "half precision and computed in fp32.",
        f"- Input: {reads}, at most {config.get('max_length')} tokens.",
        "- Confidences are temperature-scaled on the held-out split: "
        + ", ".join(f"{k} T={v}" for k, v in config.get("temperatures", {}).items())
        + "."
        + (
            f" Sentiment is then stacked with VADER's scores of the quote's words: a logistic "
            f"regression (C={stack.get('c')}, chosen by cross-validated log-loss) over the "
            "scaled log-probabilities and the four VADER scores, fitted on the same split; "
            "its probabilities are the output's."
            if stack
            else ""
        ),
        "",
        "## Training data",
        f"- {training.get('n_train')} authored statements for training, "
        f"{training.get('n_heldout')} held out (stratified), from "
        f"{len(training.get('data_files', []))} files in `training/data/` "
        f"(sha256 prefix `{training.get('data_sha256')}`); see `training/data/DATA.md`.",
        f"- Reproduce: `stancewire train --output <dir> {mode} --seed {args.get('seed')}` "
        f"({training.get('seconds')} s on the machine that made it).",
        "",
        "## Held-out split of the training data",
        "Written by the same authors as the training data: an optimistic number, "
        "not the real score.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in metrics.get("heldout", {}).items()]
    if metrics.get("branches"):
        names = list(metrics["branches"])
        lines += [
            "",
            "Each branch alone on the stance targets (the rows above are their average):",
            "",
            "| metric | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        for key in metrics["branches"][names[0]]:
            values = " | ".join(_fmt(metrics["branches"][n].get(key)) for n in names)
            lines.append(f"| {key} | {values} |")
    lines += [
        "",
        "## Calibration (held-out split)",
        "",
        "| task | T | ECE before | ECE after |",
        "|---|---|---|---|",
    ]
    if branch:
        lines[-2:-2] = [
            'Of the output\'s probabilities; for the stance targets, "before" is the '
            "two branches' average (each already divided by its own temperature) "
            "without the final temperature T.",
            "",
        ]
    for task, cal in metrics.get("calibration", {}).items():
        lines.append(
            f"| {task} | {cal['temperature']} | {cal['ece_before']:.3f} | {cal['ece_after']:.3f} |"
        )
    lexicon = metrics.get("calibration", {}).get("sentiment", {}).get("lexicon")
    if lexicon:
        lines += [
            "",
            "The sentiment stack, scored by 5-fold cross-validation on the held-out split "
            "(each row predicted by a stack fitted without it): "
            f"ECE {lexicon['ece_cv']:.3f}, macro-F1 {lexicon['macro_f1_cv']:.3f} "
            f"(the head alone: {lexicon['macro_f1_head']:.3f}).",
        ]
    for name, values in (extra_metrics or {}).items():
        lines += ["", f"## {name}", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {_fmt(v)} |" for k, v in values.items()]
    lines += [
        "",
        "## Intended use and limits",
        "- For analysts labelling news about Iraq, the US military presence and the "
        "Iran-backed militias; English only.",
        "- Trained only on statements we wrote in wire-service style: real quotes score "
        "lower than the held-out split (see the README for the development-set numbers).",
        (
            "- Stance is read from the quote, its sentence and who speaks. The model leans "
            "on the speaker's side: a statement against the usual line of its side (a "
            "faction leader welcoming US advisers) is more often missed, and a wrong "
            "attribution can move a label. "
            if speakers
            else "- Stance is read from the quote and its sentence; the model does not know "
            "the speaker. "
        )
        + "Sarcasm, long multi-sentence quotes and quotes whose target is only "
        "implied by the wider article are its weakest cases.",
        "- Not for decisions about individuals.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(model_dir: Path, **kwargs: Any) -> Path:
    """Render and write ``MODEL_CARD.md`` into ``model_dir``."""
    path = Path(model_dir) / "MODEL_CARD.md"
    path.write_text(render_model_card(Path(model_dir), **kwargs), encoding="utf-8")
    return path
