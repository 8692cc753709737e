"""The review page (api/static) driven in headless Chromium over the DevTools protocol.

Chromium talks CDP over a pipe (``--remote-debugging-pipe``: commands on fd 3,
replies on fd 4, NUL-separated JSON), so no websocket library is needed. The
server runs in a thread (uvicorn on port 0) with the tiny model: speakers come
from the spaCy stages, which the tiny model shares with the real one.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stancewire.api.server import create_app
from stancewire.api.settings import Settings
from stancewire.models.pipeline import StancePipeline, load_pipeline
from stancewire.models.schema import Article

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "page-test-key"
TARGETS_LOADED = "document.querySelectorAll('#targets input[name=target]').length === 2"
SEED = ROOT / "seeds" / "000_98d6448b1426c4f9.txt"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI: apt-get install -y chromium")
    pytest.skip("chromium not installed (apt-get install -y chromium); CI runs this test")


class Browser:
    """A headless Chromium with one page, driven over the CDP pipe."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Chromium expects the pipe on fds 3 and 4: a tiny Python trampoline puts it
        # there (``sh`` cannot name fds above 9) and execs Chromium.
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        self._log = (profile / "chromium.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                trampoline,
                str(to_chrome_r),
                str(from_chrome_w),
                exe,
                *FLAGS,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.send("Runtime.enable", session=True)
        self.send("Page.enable", session=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def js(self, expression: str) -> Any:
        """Evaluate in the page and return the value (JSON-able)."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, seconds: float = 90) -> Any:
        """Poll a page expression until it is truthy (fails only if it never is)."""
        deadline = time.monotonic() + seconds
        last_error = None
        while time.monotonic() < deadline:
            try:  # the page may still be loading: its elements may not exist yet
                value = self.js(expression)
            except RuntimeError as err:
                last_error, value = err, None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"page never satisfied: {expression} ({last_error})")

    def page_errors(self) -> list[str]:
        """Uncaught exceptions and console.error calls seen so far."""
        errors = []
        for event in self.events:
            if event.get("method") == "Runtime.exceptionThrown":
                errors.append(json.dumps(event["params"]["exceptionDetails"])[:500])
            if event.get("method") == "Runtime.consoleAPICalled":
                if event["params"].get("type") == "error":
                    errors.append(json.dumps(event["params"]["args"])[:500])
        return errors

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)
        self._log.close()


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_model_dir: Path) -> StancePipeline:
    return load_pipeline(tiny_model_dir)


@contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread, on a free loopback port; yield its URL."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _settings(model_dir: Path, **kw: Any) -> Settings:
    return Settings(model_dir=model_dir, report_path=Path("/nonexistent"), **kw)


@pytest.fixture(scope="module")
def base_url(tiny_pipeline: StancePipeline, tiny_model_dir: Path) -> Iterator[str]:
    with running(create_app(_settings(tiny_model_dir), tiny_pipeline)) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_url(tiny_pipeline: StancePipeline, tiny_model_dir: Path) -> Iterator[str]:
    """The same app behind an API key."""
    app = create_app(_settings(tiny_model_dir, api_key=API_KEY), tiny_pipeline)
    with running(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> str:
    """Asked for first, so a machine without Chromium skips before any server starts."""
    return _chromium()


@contextmanager
def open_browser(exe: str) -> Iterator[Browser]:
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(exe, Path(profile))
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser(chromium: str, base_url: str) -> Iterator[Browser]:
    with open_browser(chromium) as b:
        b.send("Page.navigate", {"url": base_url + "/"}, session=True)
        b.wait_for(TARGETS_LOADED)
        yield b


def marked_quotes(quotes: list[Any]) -> list[Any]:
    """The quotes the page highlights: in text order, skipping one that overlaps the last."""
    marked, cursor = [], 0
    for q in sorted((q for q in quotes if q.start is not None), key=lambda q: q.start):
        if q.start >= cursor:
            marked.append(q)
            cursor = q.end
    return marked


def label_in_page(browser: Browser, text: str) -> None:
    """Paste ``text``, press the button, wait for the results (or an error)."""
    browser.js(
        f"document.getElementById('article').value = {json.dumps(text)};"
        "document.getElementById('label-button').click(); true"
    )
    browser.wait_for(
        "!document.getElementById('results').hidden || !document.getElementById('error').hidden"
    )
    error = browser.js(
        "document.getElementById('error').hidden ? '' : "
        "document.getElementById('error').textContent"
    )
    assert not error, error


def test_labelling_a_seed_shows_its_speakers(
    browser: Browser, tiny_pipeline: StancePipeline
) -> None:
    seed = SEED.read_text(encoding="utf-8")
    expected = tiny_pipeline.label(Article(id=SEED.stem, text=seed))
    assert len(expected.speakers) >= 3

    label_in_page(browser, seed)

    speakers = browser.js(
        "Array.from(document.querySelectorAll('#speakers tbody th.speaker-name'))"
        ".map(e => e.textContent)"
    )
    assert speakers == [s.speaker for s in expected.speakers]
    assert "Mohammed Shia al-Sudani" in speakers
    n_quotes = len(expected.quotes)
    assert browser.js("document.querySelectorAll('#quotes > li').length") == n_quotes
    marks = browser.js(
        "Array.from(document.querySelectorAll('#article-view mark.quote')).map(e => e.textContent)"
    )
    assert marks == [q.text for q in marked_quotes(expected.quotes)]
    # the article is shown whole, exactly as pasted, around the quote tags
    shown = browser.js(
        "(() => { const v = document.getElementById('article-view').cloneNode(true);"
        " v.querySelectorAll('.qtag').forEach(e => e.remove()); return v.textContent; })()"
    )
    assert shown == seed
    first = expected.quotes[0]
    chips = browser.js(
        "Array.from(document.querySelectorAll('#quote-0 .chip')).map(e => e.textContent)"
    )
    conf = first.confidence or {}
    assert (
        chips[0] == f"us_presence: {first.stance['us_presence']}{round(conf['us_presence'] * 100)}%"
    )
    assert chips[-1] == first.kind
    assert browser.page_errors() == []


def test_article_markup_is_shown_as_text_never_run(browser: Browser) -> None:
    hostile = (
        '"<img src=x onerror="window.__pwned=1"> We will stay," the general said. '
        '"<script>window.__pwned=2</script>US forces must leave," the cleric said.'
    )
    label_in_page(browser, hostile)
    assert browser.js("typeof window.__pwned") == "undefined"
    assert (
        browser.js(
            "document.querySelectorAll('#results img, #results script, #results iframe').length"
        )
        == 0
    )
    shown = browser.js("document.getElementById('article-view').textContent")
    assert '<img src=x onerror="window.__pwned=1">' in shown
    assert "<script>window.__pwned=2</script>" in shown
    assert browser.page_errors() == []


def test_page_asks_for_the_api_key_and_sends_it(chromium: str, keyed_url: str) -> None:
    with open_browser(chromium) as browser:
        browser.send("Page.navigate", {"url": keyed_url + "/"}, session=True)
        message = browser.wait_for(
            "!document.getElementById('error').hidden && "
            "document.getElementById('error').textContent"
        )
        assert "SW901" in message and "API key" in message
        assert browser.js("document.getElementById('key-box').open") is True
        browser.js(
            f"const k = document.getElementById('api-key'); k.value = {json.dumps(API_KEY)};"
            "k.dispatchEvent(new Event('change')); true"
        )
        browser.wait_for(TARGETS_LOADED)
        assert browser.js("sessionStorage.getItem('stancewire-api-key')") == API_KEY
        label_in_page(browser, '"We will stay," the general said.')
        speakers = browser.js(
            "Array.from(document.querySelectorAll('#speakers tbody th.speaker-name'))"
            ".map(e => e.textContent)"
        )
        assert speakers == ["the general"]
        # the model card came through the key-protected /v1/model
        card = browser.js("document.getElementById('model-card-text').textContent")
        assert card.startswith("# stancewire model")
