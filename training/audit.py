"""A second-annotator pass on the labels: screen, blind batches, merge, agreement.

Works on any of the three labelled tasks (``sentiment``, and stance toward
``us_presence`` and ``militias``), one or several in the same pass. Authored
labels are single-pass, and a label the model cannot learn from the
rest of the data is either noise or a hard case. Which one takes a reader, but a
reader cannot read 6,700 rows. So the pass works in three steps:

1. :func:`screen` fits a cheap classifier (frozen base-encoder embeddings of the
   quote and of quote plus context, and VADER's scores of the quote) and takes
   its out-of-fold probabilities: a row whose own label gets little probability
   from a model that never saw it is a *candidate*.
2. :func:`blind_batches` writes the candidates, mixed with a random *control*
   sample of rows the screen did not flag, without their labels, for a second
   annotator who labels them from ANNOTATION.md alone.
3. :func:`merge` keeps a label unless two of three readers (first annotator,
   second annotator, screen) disagree with it the same way and the second
   annotator marked the call sure: the screen alone never changes a label, and
   neither does an unsure second reading.
4. :func:`adjudicate` lets the lead overrule the rule on named rows, with a
   reason kept in the record (for a misreading the two agreeing readers share).

The record of a pass (one JSONL row per audited statement) is kept in
``training/audits/``; ``python -m stancewire.training.audit summary FILE``
prints its agreement figures, which the datasheet quotes. ``status.json``
there says whether each record's labels are in the data (``applied``) or wait
for the next model (``pending``): the data in the repo is always the data the
bundled model was trained on.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stancewire.training.data import Statement

TASK_LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("negative", "neutral", "positive"),
    "us_presence": ("against", "favor", "none"),
    "militias": ("against", "favor", "none"),
}
"""Each auditable task's labels, in the screen's column order."""


def labels_of(task: str) -> tuple[str, ...]:
    """The labels of an auditable task.

    Raises:
        ValueError: ``task`` is not one of :data:`TASK_LABELS`.
    """
    if task not in TASK_LABELS:
        raise ValueError(f"unknown task {task!r} (one of {', '.join(TASK_LABELS)})")
    return TASK_LABELS[task]


def label_of(statement: Statement, task: str) -> str:
    """A statement's label for a task: its sentiment, or its stance toward a target."""
    labels_of(task)
    return statement.sentiment if task == "sentiment" else statement.stance[task]


@dataclass
class AuditRow:
    """One audited label of one statement: the three readings and the label kept.

    Attributes:
        id: the statement's id.
        group: ``candidate`` (flagged by the screen) or ``control`` (random unflagged).
        first: the author's label.
        screen: the screen's out-of-fold prediction.
        screen_p_first: the screen's probability of the author's label.
        second: the blind second annotator's label.
        second_sure: whether the second annotator marked the call sure.
        final: the label kept (:func:`kept_label`: the rule's, or the lead's).
        task: which label (``sentiment``, ``us_presence`` or ``militias``); a
            record may audit several tasks, one row per statement and task.
        lead: the lead's label where the lead overruled the rule's outcome
            (:func:`adjudicate`), else empty.
        note: why the lead did.
    """

    id: str
    group: str
    first: str
    screen: str
    screen_p_first: float
    second: str
    second_sure: bool
    final: str = ""
    task: str = "sentiment"
    lead: str = ""
    note: str = ""


def merge_rule(first: str, second: str, second_sure: bool, screen: str) -> str:
    """The label kept: the second reading only when sure and the screen agrees with it."""
    if second != first and second_sure and second == screen:
        return second
    return first


def kept_label(row: AuditRow) -> str:
    """The label a record row keeps: the lead's, if the lead adjudicated, else the rule's."""
    return row.lead or merge_rule(row.first, row.second, row.second_sure, row.screen)


def screen_features(
    statements: Sequence[Statement],
    *,
    speaker: bool,
    base_model: str | None = None,
    max_length: int = 128,
) -> np.ndarray:
    """The screen's features: what :func:`screen` fits its classifier on.

    The frozen base encoder's mean-pooled, normalised embedding of the quote and
    of the (quote, context) pair, and VADER's four scores of the quote (scaled
    by 3 to weigh about as much as the embeddings). With ``speaker`` the quote
    is read as ``"Speaker (Affiliation): quote"``, as the product model reads
    it. Apart from :func:`screen` because both stance targets read the same
    features: a pass over both embeds the data once, not twice.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from stancewire.models.backends.embedding import EmbeddingBackend
    from stancewire.models.classifier import DEFAULT_BASE_MODEL, speaker_text

    embedder = EmbeddingBackend(base_model or DEFAULT_BASE_MODEL, max_length=max_length)
    quotes = [s.quote for s in statements]
    read = quotes
    if speaker:
        read = [
            f"{who}: {s.quote}" if (who := speaker_text(s.speaker, s.affiliation)) else s.quote
            for s in statements
        ]
    vader = SentimentIntensityAnalyzer()
    lexicon = np.array(
        [[vader.polarity_scores(q)[k] for k in ("neg", "neu", "pos", "compound")] for q in quotes]
    )
    contexts = [s.context or "" for s in statements]
    return np.hstack(
        [embedder.embed(read).numpy(), embedder.embed(read, contexts).numpy(), lexicon * 3]
    )


def reads_speaker(task: str) -> bool:
    """Whether the screen reads the speaker for a task: for stance, not for sentiment.

    A side's own voice decides stance (a faction's spokesman vowing attacks is
    ``favor``); sentiment is the tone of the words alone.
    """
    labels_of(task)
    return task != "sentiment"


def screen(
    statements: Sequence[Statement],
    *,
    task: str = "sentiment",
    base_model: str | None = None,
    folds: int = 5,
    seed: int = 0,
    max_length: int = 128,
    features: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold probabilities ``(n, len(labels_of(task)))`` of a cheap classifier.

    A logistic regression (C = 2) on :func:`screen_features` (computed here
    unless given, with the speaker as :func:`reads_speaker` says), in ``folds``
    stratified folds. Deliberately not the product model: it must be a reader
    that has not seen the row it scores.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    labels = labels_of(task)
    if features is None:
        features = screen_features(
            statements, speaker=reads_speaker(task), base_model=base_model, max_length=max_length
        )
    y = np.array([labels.index(label_of(s, task)) for s in statements])
    return cross_val_predict(
        LogisticRegression(C=2.0, max_iter=3000),
        features,
        y,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        method="predict_proba",
    )


def select(
    statements: Sequence[Statement],
    probs: dict[str, np.ndarray],
    *,
    threshold: float = 0.2,
    controls: int = 150,
    max_candidates: int | None = None,
    seed: int = 7,
) -> list[AuditRow]:
    """Candidates (own label's probability below ``threshold``) plus random controls.

    ``probs`` holds :func:`screen`'s output per task. A statement is a candidate
    for each task whose label the screen doubts (at most ``max_candidates`` per
    task, the most doubted first); the controls are statements doubted on no
    task, audited on every task. The second-annotator fields are left empty;
    :func:`merge` fills them.
    """
    flagged: dict[str, list[int]] = {}
    doubted_anywhere: set[int] = set()
    p_first: dict[str, np.ndarray] = {}
    for task, p in probs.items():
        labels = labels_of(task)
        y = np.array([labels.index(label_of(s, task)) for s in statements])
        p_first[task] = p[np.arange(len(y)), y]
        doubted = sorted(
            (i for i in range(len(y)) if p_first[task][i] < threshold),
            key=lambda i, t=task: (p_first[t][i], i),
        )
        flagged[task] = sorted(doubted[:max_candidates])
        doubted_anywhere.update(doubted)
    # controls come from rows the screen doubts on no task, capped out or not
    rest = [i for i in range(len(statements)) if i not in doubted_anywhere]
    control = random.Random(seed).sample(rest, min(controls, len(rest)))

    def row(i: int, task: str, group: str) -> AuditRow:
        labels = labels_of(task)
        return AuditRow(
            id=statements[i].id,
            group=group,
            first=label_of(statements[i], task),
            screen=labels[int(probs[task][i].argmax())],
            screen_p_first=round(float(p_first[task][i]), 4),
            second="",
            second_sure=False,
            task=task,
        )

    return [row(i, task, "candidate") for task in probs for i in flagged[task]] + [
        row(i, task, "control") for i in control for task in probs
    ]


def blind_batches(
    statements: Sequence[Statement],
    rows: Sequence[AuditRow],
    out_dir: Path,
    *,
    n: int,
    seed: int = 7,
) -> list[Path]:
    """Write the audited statements, shuffled and without labels, as ``n`` batch files.

    Each statement appears once, however many of its tasks are audited: the
    second annotator reads it whole and labels every audited task.
    """
    by_id = {s.id: s for s in statements}
    order = list(dict.fromkeys(r.id for r in rows))
    random.Random(seed).shuffle(order)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        path = out_dir / f"batch_{k + 1}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for sid in order[k::n]:
                s = by_id[sid]
                blind = {
                    "id": s.id,
                    "speaker": s.speaker,
                    "affiliation": s.affiliation,
                    "kind": s.kind,
                    "context": s.context,
                    "quote": s.quote,
                }
                fh.write(json.dumps(blind, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def merge(
    rows: Sequence[AuditRow], second: dict[tuple[str, str], tuple[str, bool]]
) -> list[AuditRow]:
    """Fill in the second readings (``(id, task) -> (label, sure)``) and the kept label."""
    out = []
    for row in rows:
        label, sure = second[(row.id, row.task)]
        if label not in labels_of(row.task):
            raise ValueError(f"{row.id}: unknown {row.task} label {label!r}")
        final = merge_rule(row.first, label, sure, row.screen)
        out.append(
            AuditRow(**{**asdict(row), "second": label, "second_sure": sure, "final": final})
        )
    return out


def adjudicate(
    rows: Sequence[AuditRow], decisions: dict[tuple[str, str], tuple[str, str]]
) -> list[AuditRow]:
    """Apply the lead's decisions (``(id, task) -> (label, note)``) to merged rows.

    Why: the rule trusts two readers who agree, but both can share a misreading
    (a flaw in the second annotator's brief, a convention the datasheet
    documents and the guide leaves implicit). The lead's label and reason are
    kept in the record beside the three readings, so every override is visible.
    """
    by_key = {(r.id, r.task): r for r in rows}
    unknown = sorted(set(decisions) - set(by_key))
    if unknown:
        raise ValueError(f"decisions for rows not in the record: {unknown[:5]}")
    out = []
    for row in rows:
        decision = decisions.get((row.id, row.task))
        if decision is None:
            out.append(row)
            continue
        label, note = decision
        if label not in labels_of(row.task):
            raise ValueError(f"{row.id}: unknown {row.task} label {label!r}")
        out.append(AuditRow(**{**asdict(row), "lead": label, "note": note, "final": label}))
    return out


def read_second(
    paths: Sequence[Path], tasks: Sequence[str]
) -> dict[tuple[str, str], tuple[str, bool]]:
    """The second annotator's readings from its JSONL files.

    One line per statement: ``{"id", TASK: label, ...}`` for each audited task,
    and whether the call is sure, per task as ``TASK_sure`` or for the whole
    line as ``sure``.
    """
    second: dict[tuple[str, str], tuple[str, bool]] = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            for task in tasks:
                if task in r:
                    sure = r.get(f"{task}_sure", r.get("sure", False))
                    second[(r["id"], task)] = (r[task], bool(sure))
    return second


def read_record(path: Path) -> list[AuditRow]:
    """An audit record written by :func:`write_record`."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [AuditRow(**json.loads(line)) for line in lines if line.strip()]


def write_record(rows: Sequence[AuditRow], path: Path) -> None:
    """One JSON line per audited statement."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rows)
    Path(path).write_text(text, encoding="utf-8")


def summarize(rows: Sequence[AuditRow]) -> str:
    """Agreement of the second annotator with the first, per task and group, and the changes."""
    lines = []
    tasks = list(dict.fromkeys(r.task for r in rows))
    for task in tasks:
        of_task = [r for r in rows if r.task == task]
        prefix = f"{task} " if len(tasks) > 1 else ""
        for group in ("candidate", "control"):
            part = [r for r in of_task if r.group == group]
            if not part:
                continue
            sure = [r for r in part if r.second_sure]
            agree = sum(r.second == r.first for r in part)
            agree_sure = sum(r.second == r.first for r in sure)
            lines.append(
                f"{prefix}{group}: {len(part)} rows; second agrees with first {agree} "
                f"({agree / len(part):.1%}); on the {len(sure)} marked sure {agree_sure} "
                f"({agree_sure / max(len(sure), 1):.1%})"
            )
        changed = [r for r in of_task if r.final != r.first]
        moves = Counter(f"{r.first} -> {r.final}" for r in changed)
        lines.append(
            f"{prefix}changed: {len(changed)} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(moves.items(), key=lambda kv: -kv[1]))
            + ")"
        )
        overruled = [r for r in of_task if r.lead]
        if overruled:
            undone = sum(r.lead == r.first for r in overruled)
            lines.append(
                f"{prefix}adjudicated by the lead: {len(overruled)} "
                f"({undone} back to the first label)"
            )
    return "\n".join(lines)


def apply_changes(rows: Sequence[AuditRow], data_dir: Path) -> int:
    """Rewrite the kept labels into the data files; returns the number of labels changed."""
    from stancewire.training.data import statement_files

    changes: dict[str, dict[str, str]] = {}
    for r in rows:
        if r.final != r.first:
            changes.setdefault(r.id, {})[r.task] = r.final
    done = 0
    for path in statement_files(data_dir):
        lines = path.read_text(encoding="utf-8").splitlines()
        out, dirty = [], False
        for line in lines:
            row = json.loads(line)
            for task, final in changes.get(row["id"], {}).items():
                holder = row if task == "sentiment" else row["stance"]
                if holder[task] != final:
                    holder[task] = final
                    dirty = True
                    done += 1
            out.append(json.dumps(row, ensure_ascii=False))
        if dirty:
            path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return done


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m stancewire.training.audit {screen,merge,summary} ...``."""
    import argparse
    import sys

    from stancewire.training.args import DATA_DIR
    from stancewire.training.data import load_statements, statement_files

    parser = argparse.ArgumentParser(prog="python -m stancewire.training.audit")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_screen = sub.add_parser("screen", help="flag candidates and write blind batches")
    p_screen.add_argument("out_dir", type=Path)
    p_screen.add_argument("--batches", type=int, default=6)
    p_screen.add_argument("--threshold", type=float, default=0.2)
    p_screen.add_argument("--controls", type=int, default=150)
    p_screen.add_argument(
        "--task",
        action="append",
        choices=sorted(TASK_LABELS),
        help="a task to audit (repeat for several; default sentiment)",
    )
    p_screen.add_argument("--max-candidates", type=int, default=None, help="per task")
    p_merge = sub.add_parser("merge", help="merge second readings into a record")
    p_merge.add_argument("out_dir", type=Path, help="the screen's folder, with out_K.jsonl files")
    p_merge.add_argument("record", type=Path)
    p_merge.add_argument("--apply", action="store_true", help="rewrite the data files")
    p_merge.add_argument(
        "--decisions",
        type=Path,
        help='the lead\'s decisions, JSONL of {"id", "task", "label", "note"}',
    )
    p_sum = sub.add_parser("summary", help="agreement figures of a record")
    p_sum.add_argument("record", type=Path)
    args = parser.parse_args(argv)

    if args.cmd == "summary":
        sys.stdout.write(summarize(read_record(args.record)) + "\n")
        return
    statements = load_statements(statement_files(DATA_DIR))
    if args.cmd == "screen":
        tasks = args.task or ["sentiment"]
        features = {
            speaker: screen_features(statements, speaker=speaker)
            for speaker in {reads_speaker(task) for task in tasks}
        }
        rows = select(
            statements,
            {
                task: screen(statements, task=task, features=features[reads_speaker(task)])
                for task in tasks
            },
            threshold=args.threshold,
            controls=args.controls,
            max_candidates=args.max_candidates,
        )
        write_record(rows, args.out_dir / "pending.jsonl")
        for path in blind_batches(statements, rows, args.out_dir, n=args.batches):
            sys.stdout.write(f"{path}\n")
        return
    pending = read_record(args.out_dir / "pending.jsonl")
    tasks = list(dict.fromkeys(r.task for r in pending))
    rows = merge(pending, read_second(sorted(args.out_dir.glob("out_*.jsonl")), tasks))
    if args.decisions:
        lines = args.decisions.read_text(encoding="utf-8").splitlines()
        decided = [json.loads(line) for line in lines if line.strip()]
        rows = adjudicate(rows, {(d["id"], d["task"]): (d["label"], d["note"]) for d in decided})
    write_record(rows, args.record)
    sys.stdout.write(summarize(rows) + "\n")
    if args.apply:
        sys.stdout.write(f"rewrote {apply_changes(rows, DATA_DIR)} label(s)\n")


if __name__ == "__main__":
    main()
