"""The HTML report (eval/report.py): self-contained, and it renders in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from stancewire.eval.harness import EvalRun, evaluate_end_to_end, write_jsonl, write_outputs
from stancewire.eval.report import confusion_figure, figure_data_uri, render_report
from tests.eval.test_bootstrap import GOLD_PATH, load_gold, perturbed
from tests.eval.test_harness import with_confidence

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> EvalRun:
    tmp = tmp_path_factory.mktemp("report")
    a, b = tmp / "a.jsonl", tmp / "b.jsonl"
    write_jsonl(with_confidence(perturbed(load_gold(), seed=1)), a)
    write_jsonl(perturbed(load_gold(), seed=2), b)
    return evaluate_end_to_end(GOLD_PATH, pred_path=a, out_dir=tmp, compare_pred=b, n_boot=200)


@pytest.fixture(scope="module")
def report_path(run: EvalRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, path = write_outputs(run, tmp_path_factory.mktemp("report-out"))
    return path


def test_report_is_self_contained(report_path: Path) -> None:
    html = report_path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html
    assert not re.search(r"<script[^>]+src", html)
    assert "@import" not in html


def test_report_has_all_sections(run: EvalRun, report_path: Path) -> None:
    html = report_path.read_text(encoding="utf-8")
    for anchor in (
        "headline-table",
        "comparison-table",
        "per-class-table",
        "calibration-table",
        "unit-table",
        "error-list",
    ):
        assert f'id="{anchor}"' in html, anchor
    for name in run.headline:
        assert f">{name}<" in html
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    # 4 confusion matrices, per-class F1 bars, reliability diagram.
    assert len(images) == 6
    assert html.count('class="error"') == len(run.errors)
    assert html.count("<mark>") == sum(e["context"] is not None for e in run.errors)


def test_report_escapes_text() -> None:
    gold = load_gold()[:1]
    gold[0]["quotes"] = gold[0]["quotes"][:1]
    pred = [
        {
            "id": gold[0]["id"],
            "quotes": [
                {"text": "<script>alert(1)</script>", "kind": "direct", "speaker": "<b>x</b>"}
            ],
        }
    ]
    from stancewire.eval.harness import evaluate_predictions

    run, _ = evaluate_predictions(gold, pred, n_boot=20)
    html = render_report(run)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_figure_data_uri_is_a_png() -> None:
    uri = figure_data_uri(confusion_figure(np.eye(3) * 4, ["a", "b", "c"], "t"))
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")


# --------------------------------------------------------------------------- chromium


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI: apt-get install -y chromium")
    pytest.skip("chromium not installed (apt-get install -y chromium); CI runs this test")


def _run_chromium(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_console_check_catches_script_errors(tmp_path: Path) -> None:
    exe = _chromium()
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><script>notDefined();</script></body></html>")
    result = _run_chromium(exe, "--dump-dom", bad.as_uri())
    assert any("notDefined" in m for m in _console_messages(result.stderr)), result.stderr


def test_report_renders_in_headless_chromium(
    report_path: Path, run: EvalRun, tmp_path: Path
) -> None:
    exe = _chromium()
    dom = _run_chromium(exe, "--dump-dom", report_path.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert _console_messages(dom.stderr) == []
    html = dom.stdout
    for table in ("headline-table", "comparison-table", "per-class-table", "unit-table"):
        assert re.search(rf'<table id="{table}">.*?<td', html, re.S), table
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 6
    # The filter script ran: it filled in the count of shown errors.
    assert f"{len(run.errors)} of {len(run.errors)} shown" in html

    shot = tmp_path / "report.png"
    result = _run_chromium(
        exe, f"--screenshot={shot}", "--window-size=1280,2000", report_path.as_uri()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _console_messages(result.stderr) == []
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a blank page is a few KB
