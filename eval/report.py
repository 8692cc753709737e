"""The self-contained HTML report of an evaluation run.

One file that can be mailed, archived with a model, or opened offline: plots
are matplotlib PNGs embedded as base64 data URIs, CSS is inline, and the only
script is a few lines that filter the error browser. Nothing is fetched from
anywhere (a test checks there are no external URLs).

The report reads an :class:`stancewire.eval.harness.EvalRun`; every number in
it is also in metrics.json.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from matplotlib.figure import Figure

from stancewire import __version__

if TYPE_CHECKING:
    from stancewire.eval.harness import EvalRun

__all__ = [
    "confusion_figure",
    "figure_data_uri",
    "per_class_figure",
    "reliability_figure",
    "render_report",
]

TEMPLATE_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "report.html.j2"
TASK_TITLES = {
    "us_presence": "Stance: US presence",
    "militias": "Stance: militias",
    "sentiment": "Sentiment",
    "speaker": "Speaker-level stance (both targets)",
}


def figure_data_uri(fig: Figure) -> str:
    """Render a figure to a ``data:image/png;base64,...`` URI (no file, no network)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def confusion_figure(matrix: np.ndarray, labels: Sequence[str], title: str) -> Figure:
    """A confusion matrix heat map: rows gold, columns predicted, counts in cells."""
    fig = Figure(figsize=(3.6, 3.2))
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(float(matrix.max()), 1.0))
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title, fontsize=10)
    top = float(matrix.max()) or 1.0
    for (i, j), value in np.ndenumerate(matrix):
        colour = "white" if value > top / 2 else "black"
        ax.text(j, i, str(int(value)), ha="center", va="center", color=colour, fontsize=9)
    return fig


def reliability_figure(calibration: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Reliability diagram: mean confidence vs accuracy per bin, one line per task."""
    fig = Figure(figsize=(4.8, 4.2))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    for task, cal in calibration.items():
        xs = [b["confidence"] for b in cal["bins"]]
        ys = [b["accuracy"] for b in cal["bins"]]
        sizes = [10 + 4 * b["n"] ** 0.5 for b in cal["bins"]]
        ax.plot(xs, ys, marker="o", label=f"{task} (ECE {cal['ece']:.3f}, n={cal['n']})")
        ax.scatter(xs, ys, s=sizes, alpha=0.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence (calibrated probability of the predicted label)")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability diagram", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def per_class_figure(tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> Figure:
    """Grouped bars of per-class F1: one panel per task, one bar group per system.

    Args:
        tables: System name -> task -> label -> F1.
    """
    tasks = sorted(
        {t for table in tables.values() for t in table if t != "speaker"},
        key=lambda t: list(TASK_TITLES).index(t) if t in TASK_TITLES else 99,
    )
    fig = Figure(figsize=(3.4 * max(len(tasks), 1), 3.0))
    for k, task in enumerate(tasks):
        ax = fig.add_subplot(1, len(tasks), k + 1)
        systems = [s for s in tables if task in tables[s]]
        labels = list(next(iter(tables[s][task] for s in systems)))
        width = 0.8 / max(len(systems), 1)
        for i, system in enumerate(systems):
            xs = np.arange(len(labels)) + i * width
            ax.bar(xs, [tables[system][task][lab] for lab in labels], width, label=system)
        ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2, labels)
        ax.set_ylim(0, 1)
        ax.set_title(TASK_TITLES.get(task, task), fontsize=9)
        if k == 0:
            ax.set_ylabel("F1")
            ax.legend(fontsize=7)
    return fig


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    return env


def _plots(run: EvalRun) -> dict[str, Any]:
    from stancewire.eval.harness import per_class_table

    confusion = [
        {
            "task": t,
            "title": TASK_TITLES.get(t, t),
            "uri": figure_data_uri(confusion_figure(m, run.labels[t], TASK_TITLES.get(t, t))),
        }
        for t, m in run.confusion.items()
    ]
    tables = {"model": per_class_table(run.confusion, run.labels)}
    tables.update((name, per_class_table(b.confusion)) for name, b in run.baselines.items())
    return {
        "confusion": confusion,
        "per_class_tables": tables,
        "per_class_uri": figure_data_uri(per_class_figure(tables)),
        "reliability_uri": figure_data_uri(reliability_figure(run.calibration))
        if run.calibration
        else None,
    }


def render_report(run: EvalRun) -> str:
    """The report of a run as one self-contained HTML string."""
    plots = _plots(run)
    headline = run.headline
    columns = [k for k in (run.per_unit[0] if run.per_unit else {}) if k != "id"]
    error_types = sorted({t for e in run.errors for t in e["types"]})
    return (
        _environment()
        .get_template(TEMPLATE_NAME)
        .render(
            run=run,
            version=__version__,
            headline=headline,
            plots=plots,
            unit_columns=columns,
            error_types=error_types,
            tasks=[t for t in ("us_presence", "militias", "sentiment")],
        )
    )
