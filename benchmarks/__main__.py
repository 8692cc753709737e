"""``python -m benchmarks``: every benchmark in one run, a table, and a results file.

Usage::

    .venv/bin/python -m benchmarks                 # the full run (~25 min on 2 busy cores)
    .venv/bin/python -m benchmarks --quick         # a smoke run (~3 min), rougher figures
    .venv/bin/python -m benchmarks --only model,stages

Writes ``benchmarks/results/latest.json`` (all figures, the machine, the
commit) and prints the table of the README's performance section, each goal
beside its measured value.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("model", "stages", "throughput", "api")

app = typer.Typer(add_completion=False)
console = Console()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "commit": commit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _row(table: Table, what: str, value: str, goal: str = "", ok: bool | None = None) -> None:
    mark = "" if ok is None else ("[green]met[/]" if ok else "[red]not met[/]")
    table.add_row(what, value, goal, mark)


def _level_rows(table: Table, what: str, mode: dict[str, Any]) -> None:
    """One row per concurrency level of an API mode: latency percentiles and throughput."""
    for level, lv in mode["levels"].items():
        _row(
            table,
            f"{what}, concurrency {level}",
            f"p50 {lv['p50_ms']:.0f} / p95 {lv['p95_ms']:.0f} / p99 {lv['p99_ms']:.0f} ms, "
            f"{lv['throughput_rps']:.2f} req/s",
        )


def summary_table(res: dict[str, Any]) -> Table:
    """The README table: each measured figure beside its goal."""
    table = Table(title="stancewire benchmarks", title_justify="left")
    for col in ("measure", "value", "goal", ""):
        table.add_column(col)
    if "model" in res:
        m = res["model"]
        r = m["ratios"]
        _row(
            table,
            "model: naive (1 quote x 1 task, batch 1)",
            f"{m['naive']['ms_per_quote']:.1f} ms/quote",
        )
        _row(table, "model: batched torch fp32", f"{m['batched']['ms_per_quote']:.1f} ms/quote")
        if "batched_64" in m:
            _row(
                table,
                "model: batched torch fp32, batch 64 (before)",
                f"{m['batched_64']['ms_per_quote']:.1f} ms/quote",
            )
        _row(table, "model: onnx int8", f"{m['onnx_int8']['ms_per_quote']:.1f} ms/quote")
        _row(
            table,
            "batched / naive speed-up",
            f"{r['batched_vs_naive']:.1f}x",
            ">= 5x",
            r["batched_vs_naive"] >= 5,
        )
        _row(
            table,
            "int8 / fp32 speed-up (model stage)",
            f"{r['int8_vs_fp32']:.1f}x",
            ">= 2x",
            r["int8_vs_fp32"] >= 2,
        )
        losses = []
        for dev in m["batched"]["scores"]:
            for target in ("us_presence", "militias"):
                key = f"{target}_favg"
                losses.append(m["batched"]["scores"][dev][key] - m["onnx_int8"]["scores"][dev][key])
        _row(
            table,
            "int8 F_avg loss (worst target x dev set)",
            f"{100 * max(losses):.2f} points",
            "<= 1 point",
            max(losses) <= 0.01,
        )
        f = m["floor"]
        _row(
            table,
            "floor: FLOPs/quote over matmul rate",
            f"{f['floor_ms_per_quote']:.1f} ms/quote ({f['flops_per_quote'] / 1e9:.2f} GFLOP "
            f"at {f['matmul_gflops_per_s']:.0f} GFLOP/s)",
        )
        _row(table, "batched fp32 / floor", f"{r['batched_vs_floor']:.1f}x")
    if "stages" in res:
        s = res["stages"]
        parts = ", ".join(f"{k} {v:.0f}" for k, v in s["ms_per_article"].items())
        _row(table, "stage profile (ms/article)", parts)
        comps = s.get("spacy_components_ms_per_article", {})
        if comps:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in comps.items())
            _row(table, "spaCy components (ms/article)", parts)
        cpu = s.get("cpu_ms_per_article", {})
        if cpu:
            parts = ", ".join(f"{k} {v:.0f}" for k, v in cpu.items())
            _row(table, "stage CPU, all threads (ms/article)", parts)
        c = s.get("ceiling")
        if c:
            _row(
                table,
                f"ceiling on {c['cores']} cores (CPU per article, int8 model on 1 thread)",
                f"{c['articles_per_s']:.1f} articles/s ({c['cpu_ms_per_article']:.0f} ms); "
                f"the parse alone: {c['parse_alone_articles_per_s']:.1f} articles/s",
                ">= 10 articles/s reachable",
                c["parse_alone_articles_per_s"] >= 10,
            )
    if "throughput" in res:
        for name, run in res["throughput"]["runs"].items():
            if "error" in run:
                _row(table, f"batch: {name}", "failed: " + run["error"][-80:])
                continue
            goal, ok = ("", None)
            if name.startswith("2 workers") or "parse pool" in name:  # 2 cores in use
                goal, ok = ">= 10 articles/s", run["articles_per_s"] >= 10
            _row(
                table,
                f"batch: {name}",
                f"{run['articles_per_s']:.2f} articles/s, {run['quotes_per_s']:.0f} quotes/s, "
                f"peak {run['peak_rss_mb']:.0f} MB",
                goal,
                ok,
            )
    if "api" in res:
        modes = res["api"]["modes"]
        for mode, data in modes.items():
            _level_rows(table, f"api {mode}", data)
            _row(
                table,
                f"api {mode}: server peak memory",
                f"{data['peak_rss_mb']:.0f} MB",
                "<= 1536 MB",
                data["peak_rss_mb"] <= 1536,
            )
            c1 = data["levels"].get("1")
            if c1:
                _row(
                    table,
                    f"api {mode}: p95, one article, concurrency 1",
                    f"{c1['p95_ms']:.0f} ms",
                    "<= 300 ms",
                    c1["p95_ms"] <= 300,
                )
        mb = modes.get("micro-batched", {}).get("levels", {})
        ub = modes.get("unbatched", {}).get("levels", {})
        if "1" in mb and "32" in mb:
            ratio = mb["32"]["throughput_rps"] / mb["1"]["throughput_rps"]
            _row(table, "api throughput c32 / c1", f"{ratio:.1f}x", ">= 3x", ratio >= 3)
        if "32" in mb and "32" in ub:
            rel = mb["32"]["p95_ms"] / ub["32"]["p95_ms"]
            _row(table, "api p95 at c32: batched / unbatched", f"{rel:.2f}", "<= 1.2", rel <= 1.2)
    if "api_classify" in res:
        modes = res["api_classify"]["modes"]
        for mode, data in modes.items():
            _level_rows(table, f"api /v1/classify (1 quote) {mode}", data)
        mb = modes.get("micro-batched", {}).get("levels", {})
        if "1" in mb and "32" in mb:
            ratio = mb["32"]["throughput_rps"] / mb["1"]["throughput_rps"]
            _row(
                table, "api /v1/classify throughput c32 / c1", f"{ratio:.1f}x", ">= 3x", ratio >= 3
            )
    return table


@app.command()
def main(
    quick: Annotated[bool, typer.Option(help="A short smoke run with rougher figures.")] = False,
    only: Annotated[str, typer.Option(help="Comma-separated sections to run.")] = ",".join(
        SECTIONS
    ),
    output: Annotated[Path, typer.Option(help="Where to write the results.")] = RESULTS
    / "latest.json",
) -> None:
    """Run the benchmarks and write the results file."""
    wanted = [s.strip() for s in only.split(",") if s.strip()]
    res: dict[str, Any] = {"machine": machine(), "quick": quick}
    started = time.perf_counter()
    for section in wanted:
        console.log(f"running {section} ...")
        if section == "model":
            from benchmarks import model_stage

            res["model"] = model_stage.run(quick=quick)
        elif section == "stages":
            from benchmarks import stages

            res["stages"] = stages.run(n_articles=12 if quick else 40)
        elif section == "throughput":
            from benchmarks import throughput

            res["throughput"] = throughput.run(60 if quick else 200)
        elif section == "api":
            from benchmarks import api_latency

            res["api"] = api_latency.run(seconds=5 if quick else 20)
            res["api_classify"] = api_latency.run(seconds=5 if quick else 15, route="/v1/classify")
        else:
            raise typer.BadParameter(f"unknown section {section!r}; choose from {SECTIONS}")
    res["seconds"] = time.perf_counter() - started
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(res, indent=2))
    console.print(summary_table(res))
    console.print(
        f"machine: {res['machine']['cpu']}, {res['machine']['cores']} cores; results -> {output}"
    )


if __name__ == "__main__":
    app()
