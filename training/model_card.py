"""Write a model card (``MODEL_CARD.md``) beside a trained model.

The card is generated from ``model.json`` so it can never disagree with the
model it describes: data, training command, held-out metrics, calibration,
intended use and limits. Its development-set section, the real score, comes
from evaluation runs recorded beside the model (``evaluations.json``, written
by :func:`record_evaluations` from ``stancewire eval`` outputs), so that it is
regenerated too, never typed in by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stancewire.models.classifier import model_fingerprint
from stancewire.models.errors import ConfigError

EVALUATIONS_FILE = "evaluations.json"
"""Evaluation runs recorded beside a model (:func:`record_evaluations`)."""
CARD_METRICS = (
    "us_presence_favg",
    "us_presence_macro3",
    "militias_favg",
    "militias_macro3",
    "sentiment_macro",
)
"""The label metrics a card shows for every run, in column order."""
END_TO_END_METRICS = ("quote_f1", "attribution_acc", "speaker_stance_favg")
"""What an end-to-end run adds: extraction, attribution and the per-speaker roll-up."""
_MODE_TITLES = {
    "oracle": (
        "Oracle mode: the gold quotes, their sentence and their gold speaker are given, so "
        "extraction and attribution errors do not count"
    ),
    "end_to_end": (
        "End to end: the pipeline labels the gold articles; stance and sentiment are scored "
        "on the quotes it matched (docs/ANNOTATION.md section 7)"
    ),
}


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def evaluation_summary(run: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
    """What a card keeps of one ``stancewire eval`` run's ``metrics.json``.

    Args:
        run: the parsed ``metrics.json``.
        name: the set's name in the card (default: the gold file's stem).

    Raises:
        ConfigError: the run is not a model's run, or lacks a metric a card shows.
    """
    if run.get("mode") not in _MODE_TITLES:
        raise ConfigError(
            f"only oracle and end-to-end runs of a model go on a card, not mode {run.get('mode')!r}"
        )
    metrics, intervals = run.get("metrics", {}), run.get("intervals", {})
    keys = CARD_METRICS + (END_TO_END_METRICS if run["mode"] == "end_to_end" else ())
    missing = [k for k in keys if k not in metrics or k not in intervals]
    if missing:
        raise ConfigError(f"the run has no {', '.join(missing)}")
    support = {
        task: dict(zip(conf["labels"], (int(sum(row)) for row in conf["matrix"]), strict=True))
        for task, conf in run.get("confusion", {}).items()
        if task in ("us_presence", "militias")
    }
    info = run.get("model_info") or {}
    return {
        "set": name or Path(str(run.get("gold", "gold"))).stem,
        "gold": run.get("gold"),
        "mode": run["mode"],
        "unit": run.get("unit"),
        "n_quotes": int(metrics.get("n", metrics.get("n_gold", 0))),
        "n_articles": metrics.get(
            "n_articles", metrics.get("n_units") if run.get("unit") == "article" else None
        ),
        "bootstrap": run.get("bootstrap", {}).get("n"),
        "metrics": {k: [metrics[k], *intervals[k]] for k in keys},
        "support": support,
        "fingerprint": (info.get("details") or {}).get("fingerprint"),
    }


def record_evaluations(model_dir: Path, run_dirs: list[Path]) -> Path:
    """Add evaluation runs to ``model_dir/evaluations.json`` (one entry per set and mode).

    Each run must have scored this very model: its recorded fingerprint must
    equal the directory's (:func:`stancewire.models.classifier.model_fingerprint`),
    so retraining into the same directory cannot leave an old score on the card.

    Raises:
        ConfigError: a run is missing, unreadable, of another model, or not a model's run.
    """
    model_dir = Path(model_dir)
    expected = model_fingerprint(model_dir)
    path = model_dir / EVALUATIONS_FILE
    entries = load_evaluations(model_dir, expected)
    for run_dir in run_dirs:
        source = Path(run_dir)
        source = source / "metrics.json" if source.is_dir() else source
        try:
            run = json.loads(source.read_text("utf-8"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"cannot read evaluation run {source}: {err}") from err
        summary = evaluation_summary(run)
        if summary["fingerprint"] != expected:
            scored = summary["fingerprint"] or "(unknown: a run from before metrics.json schema 4)"
            raise ConfigError(
                f"{source} scored model {scored}, not this one ({expected}): rerun "
                f"stancewire eval --model {model_dir}"
            )
        entries = [e for e in entries if (e["set"], e["mode"]) != (summary["set"], summary["mode"])]
        entries.append(summary)
    entries.sort(key=lambda e: (e["mode"] != "oracle", e["set"]))
    path.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    return path


def load_evaluations(model_dir: Path, fingerprint: str | None = None) -> list[dict[str, Any]]:
    """The evaluation runs recorded beside a model that are of its current weights.

    Args:
        model_dir: the model directory.
        fingerprint: the weights' fingerprint when the caller already has it (a
            loaded model's ``fingerprint``); otherwise the directory is hashed.
    """
    path = Path(model_dir) / EVALUATIONS_FILE
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text("utf-8"))
    except ValueError as err:
        raise ConfigError(f"{path} is not valid JSON: {err}") from err
    current = fingerprint or model_fingerprint(Path(model_dir))
    return [e for e in entries if e.get("fingerprint") == current]


def _evaluation_lines(entries: list[dict[str, Any]]) -> list[str]:
    """The card's development-set section: one table per mode, intervals in brackets."""
    if not entries:
        return []
    lines = [
        "",
        "## Development sets: the real score",
        "The model never trained on these. 95% intervals from a bootstrap over articles "
        "(over quotes for a set of single quotes); recorded with `stancewire card --eval`. "
        "An article set's quotes are read from the cleaned article, as the pipeline reads "
        "them. The datasheet (`training/data/DATA.md`) says which training slices were "
        "written with a development set's error categories (never its quotes) in mind: "
        "that set's score is somewhat optimistic.",
    ]
    for mode, title in _MODE_TITLES.items():
        rows = [e for e in entries if e["mode"] == mode]
        if not rows:
            continue
        keys = list(rows[0]["metrics"])
        lines += ["", f"{title}.", "", "| set | " + " | ".join(keys) + " |"]
        lines.append("|---|" + "---|" * len(keys))
        for e in rows:
            size = f"{e['n_quotes']} quotes" + (
                f", {e['n_articles']} articles" if e.get("n_articles") else ""
            )
            cells = [
                f"{v:.3f} [{lo:.3f}, {hi:.3f}]"
                for v, lo, hi in (e["metrics"].get(k, [float("nan")] * 3) for k in keys)
            ]
            lines.append(f"| {e['set']} ({size}) | " + " | ".join(cells) + " |")
    lines += ["", "Gold stance classes per set (few quotes in a class means a wide interval):", ""]
    seen = set()
    for e in entries:
        if e["set"] in seen or not e.get("support"):
            continue
        seen.add(e["set"])
        parts = [
            f"{task} " + " / ".join(f"{lab} {n}" for lab, n in counts.items())
            for task, counts in e["support"].items()
        ]
        lines.append(f"- {e['set']}: " + "; ".join(parts))
    return lines


def render_model_card(model_dir: Path) -> str:
    """The card's Markdown for the model in ``model_dir``.

    Args:
        model_dir: a directory written by the trainer; evaluation runs recorded
            beside it (:func:`record_evaluations`) become its development-set section.
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
    evaluations = load_evaluations(model_dir)
    lines += _evaluation_lines(evaluations)
    lines += [
        "",
        "## Intended use and limits",
        "- For analysts labelling news about Iraq, the US military presence and the "
        "Iran-backed militias; English only.",
        "- Trained only on statements we wrote in wire-service style: real quotes score "
        "lower than the held-out split ("
        + (
            "see the development sets above)."
            if evaluations
            else "record development-set scores with `stancewire card --eval`)."
        ),
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
