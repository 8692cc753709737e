"""The ``stancewire`` command line: thin commands over library functions.

Every command wraps a function that tests and the HTTP API can call directly.
Errors are handled in one place (:func:`main`): a known ``StancewireError``
prints one red line and exits 1; ``STANCEWIRE_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from stancewire import __version__
from stancewire.models.errors import StancewireError

app = typer.Typer(
    name="stancewire",
    help=(
        "Find the quoted and reported statements in news articles, attribute them to "
        "their speakers, and label each one's stance toward the US military presence "
        "in Iraq and toward the Iran-backed militias, plus its sentiment."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err_console = Console(stderr=True)

Opt = typer.Option
Arg = typer.Argument

STANCE_STYLE = {"favor": "green", "against": "red", "mixed": "yellow", "none": "dim"}


def _version(value: bool) -> None:
    if value:
        out.print(f"stancewire {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, Opt("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """stancewire: stance and sentiment labelling for news quotes."""


def speaker_table(results: list, *, targets: list[str]) -> Table:
    """A per-speaker table over labelled articles (one row per article and speaker)."""
    table = Table(title="Speakers and their stance", show_lines=False)
    table.add_column("article", style="cyan", no_wrap=True)
    table.add_column("speaker", style="bold")
    table.add_column("affiliation")
    for target in targets:
        table.add_column(target.replace("_", " "))
    table.add_column("quotes", justify="right")
    for result in results:
        for sp in result.speakers:
            cells = [
                f"[{STANCE_STYLE.get(sp.stance[t], '')}]{sp.stance[t]}[/]" for t in targets
            ]
            table.add_row(
                result.id, sp.speaker, sp.affiliation or "", *cells, str(sp.n_quotes)
            )
    return table


@app.command("label")
def label_cmd(
    inputs: Annotated[
        list[str],
        Arg(
            help="Text or HTML files, directories of them, .jsonl files of {\"id\", \"text\"} "
            "objects, or - for stdin.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, Opt("--output", "-o", help="Where to write the results, one JSON object per article.")
    ] = Path("out/labels.jsonl"),
    model: Annotated[
        Path | None, Opt("--model", "-m", help="Model directory (default: the bundled model).")
    ] = None,
    targets: Annotated[
        list[str] | None, Opt("--target", "-t", help="Only these targets (repeatable).")
    ] = None,
    errors: Annotated[
        Path | None,
        Opt(help="Where to record articles that could not be labelled (default: OUTPUT.errors.jsonl)."),
    ] = None,
    batch_size: Annotated[int, Opt(help="Articles per model batch.")] = 16,
    table: Annotated[
        bool | None,
        Opt("--table/--no-table", help="Print the per-speaker table (default: when <= 50 articles)."),
    ] = None,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Label articles: quotes, speakers, stance per target, sentiment, per-speaker roll-up.

    Writes one JSON line per article (docs/ANNOTATION.md section 6 plus offsets,
    confidences and the speaker roll-up). Bad articles are recorded in the errors
    file and skipped; the exit code is 2 when any failed.
    """
    from stancewire.models.io import iter_articles, write_jsonl
    from stancewire.models.pipeline import load_pipeline
    from stancewire.models.schema import ArticleError

    started = time.perf_counter()
    pipeline = load_pipeline(model, batch_size=batch_size)
    wanted = list(targets) if targets else pipeline.targets
    errors_path = errors or output.with_name(output.stem + ".errors.jsonl")
    output.parent.mkdir(parents=True, exist_ok=True)
    results = []
    n_ok = n_failed = n_quotes = 0
    keep_for_table = table is not False

    read_errors: list[ArticleError] = []

    def articles():
        for item in iter_articles(inputs):
            if isinstance(item, ArticleError):
                read_errors.append(item)
            else:
                yield item

    with output.open("w", encoding="utf-8") as fh, errors_path.open("w", encoding="utf-8") as efh:
        for result in pipeline.pipe(articles(), targets=wanted):
            for bad in read_errors:
                write_jsonl(bad, efh)
                n_failed += 1
                err_console.print(f"[red]skipped[/] {bad.id}: [{bad.code}] {bad.message}")
            read_errors.clear()
            if isinstance(result, ArticleError):
                write_jsonl(result, efh)
                n_failed += 1
                err_console.print(f"[red]skipped[/] {result.id}: [{result.code}] {result.message}")
                continue
            write_jsonl(result, fh)
            n_ok += 1
            n_quotes += len(result.quotes)
            if keep_for_table and len(results) <= 50:
                results.append(result)
        for bad in read_errors:
            write_jsonl(bad, efh)
            n_failed += 1
            err_console.print(f"[red]skipped[/] {bad.id}: [{bad.code}] {bad.message}")
    if n_failed == 0:
        errors_path.unlink(missing_ok=True)
    show_table = table if table is not None else n_ok <= 50
    if not quiet:
        if show_table and results:
            out.print(speaker_table(results, targets=wanted))
        elapsed = time.perf_counter() - started
        out.print(
            f"labelled [bold]{n_ok}[/] article(s), [bold]{n_quotes}[/] quote(s) "
            f"in {elapsed:.1f}s -> {output}"
            + (f"; [red]{n_failed} failed[/] -> {errors_path}" if n_failed else "")
        )
    if n_failed:
        raise typer.Exit(code=2)


@app.command("classify")
def classify_cmd(
    input: Annotated[
        Path,
        Arg(help='JSONL of quotes: {"id", "text", "context"?, "speaker"?} per line.', show_default=False),
    ],
    output: Annotated[Path, Opt("--output", "-o", help="Where to write the labelled quotes.")] = Path(
        "out/classified.jsonl"
    ),
    model: Annotated[Path | None, Opt("--model", "-m", help="Model directory.")] = None,
) -> None:
    """Stance and sentiment for quotes you already have (no extraction)."""
    from stancewire.models.classifier import ClassifyInput, QuoteClassifier
    from stancewire.models.pipeline import DEFAULT_MODEL_DIR

    rows = []
    for lineno, line in enumerate(input.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError('each line needs a string "text"')
        except ValueError as err:
            raise StancewireError(f"{input} line {lineno}: {err}") from err
        rows.append(row)
    clf = QuoteClassifier.load(model or DEFAULT_MODEL_DIR)
    preds = clf.predict([ClassifyInput(r["text"], r.get("context")) for r in rows])
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        for row, pred in zip(rows, preds, strict=True):
            record = {
                "id": row.get("id"),
                "text": row["text"],
                "stance": {t: pred[t].label for t in clf.targets},
                "sentiment": pred["sentiment"].label,
                "confidence": {t: round(s.confidence, 4) for t, s in pred.items()},
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.print(f"classified {len(rows)} quote(s) -> {output}")


@app.command("train")
def train_cmd(
    output: Annotated[Path, Opt("--output", "-o", help="Model directory to write.")] = Path(
        "models/artifacts/default"
    ),
    data_dir: Annotated[
        Path | None, Opt(help="Directory of labelled JSONL statements (default: training/data).")
    ] = None,
    epochs: Annotated[int | None, Opt(help="Fine-tuning epochs (LoRA).")] = None,
    lora: Annotated[
        bool, Opt("--lora/--frozen", help="Fine-tune a LoRA adapter, or train heads on a frozen encoder.")
    ] = False,
    seed: Annotated[int, Opt(help="Random seed.")] = 13,
    limit: Annotated[int | None, Opt(help="Train on at most this many statements (smoke runs).")] = None,
) -> None:
    """Train the stance and sentiment model from the labelled statements."""
    from rich.progress import Progress

    from stancewire.training.args import DATA_DIR, TrainArgs
    from stancewire.training.trainer import train

    kwargs = {"output_dir": output, "data_dir": data_dir or DATA_DIR, "lora": lora, "seed": seed, "limit": limit}
    if epochs is not None:
        kwargs["epochs"] = epochs
    args = TrainArgs(**kwargs)
    with Progress(console=err_console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)

        path = train(args, progress=report)
    config = json.loads((path / "model.json").read_text("utf-8"))
    metrics = config["training"]["metrics"]
    out.print(f"model written to [bold]{path}[/]")
    out.print_json(data=metrics)


@app.command("eval")
def eval_cmd(
    gold: Annotated[Path, Opt(help="Gold JSONL (docs/ANNOTATION.md section 6).")] = Path(
        "eval/gold/seeds.jsonl"
    ),
    pred: Annotated[
        Path | None, Opt(help="Predictions to score; without it the pipeline labels the gold texts.")
    ] = None,
    out_dir: Annotated[Path, Opt("--out", help="Directory for metrics.json and predictions.")] = Path(
        "runs/eval"
    ),
    model: Annotated[Path | None, Opt("--model", "-m", help="Model directory.")] = None,
) -> None:
    """Score predictions against gold (docs/ANNOTATION.md section 7) and write metrics.json."""
    from stancewire.eval.harness import evaluate_end_to_end

    metrics = evaluate_end_to_end(gold, pred_path=pred, out_dir=out_dir, model_dir=model)
    table = Table(title=f"{gold.name}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    out.print(table)
    out.print(f"metrics -> {out_dir / 'metrics.json'}")


def main() -> None:
    """Console entry point: run the app, turning known errors into one line."""
    try:
        app()
    except StancewireError as err:
        if os.environ.get("STANCEWIRE_DEBUG"):
            raise
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(1)
