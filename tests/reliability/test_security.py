"""Security properties checked in process (the real-server checks are in test_server_faults.py).

- the API key is compared with ``hmac.compare_digest`` (constant time), whichever
  header carries it;
- the review page's script never turns data into markup: article text and model
  output reach the page as text only (the headless-browser test that posts a
  ``<script>`` and checks it stays inert is in ``tests/api/test_review_page.py``).
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stancewire.api import server
from stancewire.api.server import create_app
from stancewire.api.settings import Settings
from stancewire.models.pipeline import StancePipeline

STATIC = Path(server.__file__).with_name("static")


def test_the_api_key_is_compared_in_constant_time(
    tiny_pipeline: StancePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(server.hmac, "compare_digest", spy)
    settings = Settings(_env_file=None, api_key="k3y-secret")  # type: ignore[call-arg]
    with TestClient(create_app(settings, pipeline=tiny_pipeline)) as client:
        assert client.get("/v1/targets", headers={"X-API-Key": "guess"}).status_code == 401
        assert client.get("/v1/targets", headers={"Authorization": "Bearer k3y"}).status_code == 401
        assert client.get("/v1/targets", headers={"X-API-Key": "k3y-secret"}).status_code == 200
        assert client.get("/v1/targets").status_code == 401  # no key: nothing to compare
    assert calls == [
        (b"guess", b"k3y-secret"),
        (b"k3y", b"k3y-secret"),
        (b"k3y-secret", b"k3y-secret"),
    ]


def test_the_review_page_script_never_writes_markup() -> None:
    script = (STATIC / "app.js").read_text("utf-8")
    sinks = re.findall(
        r"\.(?:innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(|new Function\(",
        script,
    )
    assert sinks == []
    assert "textContent" in script
    page = (STATIC / "index.html").read_text("utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []  # no inline script: CSP allows none
