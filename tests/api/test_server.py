"""The HTTP service (api/server.py) through FastAPI's TestClient: every route, every error.

Most tests serve the tiny fixture model (fast); the two marked ``slow`` serve
the bundled model to check real outputs. Timing never decides a result: the
tests that need a request to be "in the model" hold the model call on a
``threading.Event`` and wait for the service's own state.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from stancewire.api.schemas import (
    CLASSIFY_EXAMPLES,
    CLASSIFY_RESPONSE_EXAMPLE,
    LABEL_EXAMPLES,
    LABELLED_EXAMPLE,
)
from stancewire.api.server import create_app
from stancewire.api.settings import Settings
from stancewire.models.pipeline import StancePipeline, load_pipeline
from stancewire.models.schema import Article

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_98d6448b1426c4f9.txt"
ARTICLE = '"We will stay," the general said. "US forces must leave Iraq now," the cleric said.'


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_model_dir: Path) -> StancePipeline:
    return load_pipeline(tiny_model_dir)


def make_settings(tmp: Path | None = None, **overrides: Any) -> Settings:
    """Settings isolated from the environment and from the repository's runs/ folder."""
    overrides.setdefault("report_path", (tmp or Path("/nonexistent")) / "runs")
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


@contextmanager
def serve(pipeline: Any, model_dir: Path | None = None, **overrides: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(model_dir=model_dir, **overrides), pipeline)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def client(tiny_pipeline: StancePipeline, tiny_model_dir: Path) -> Iterator[TestClient]:
    with serve(tiny_pipeline, tiny_model_dir) as c:
        yield c


def metric_samples(client: TestClient, headers: dict[str, str] | None = None) -> dict:
    """``{(sample name, sorted label items): value}`` from /metrics."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


class GatedPipeline:
    """The real pipeline, but every model call waits for ``gate``: tests decide when it runs."""

    def __init__(self, inner: StancePipeline) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.entered = threading.Event()

    def pipe(self, articles: list[Article], *, targets: list[str] | None = None) -> Any:
        self.entered.set()
        self.gate.wait(timeout=60)
        return self.inner.pipe(articles, targets=targets)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class BrokenPipeline:
    """A pipeline with a bug: its error text holds an internal path that must not leak."""

    def __init__(self, inner: StancePipeline) -> None:
        self.inner = inner
        self.classifier = self

    @property
    def config(self) -> Any:
        return self.inner.classifier.config

    def pipe(self, articles: list[Article], *, targets: list[str] | None = None) -> Any:
        raise RuntimeError("boom in /srv/secret/pipeline.py line 42")

    def predict(self, items: list[Any]) -> Any:
        raise RuntimeError("boom in /srv/secret/classifier.py line 7")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def wait_until(condition: Any, seconds: float = 30.0) -> None:
    """Wait for a state change (not a timing assertion: it fails only if it never comes)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never became true")
        time.sleep(0.01)


# --------------------------------------------------------------------------- label


def test_label_returns_what_the_cli_writes(
    client: TestClient, tiny_pipeline: StancePipeline
) -> None:
    response = client.post("/v1/label", json={"id": "a1", "text": ARTICLE, "source": "wire"})
    assert response.status_code == 200, response.text
    expected = tiny_pipeline.label(Article(id="a1", text=ARTICLE, source="wire"))
    assert response.json() == json.loads(expected.model_dump_json())
    body = response.json()
    assert [q["speaker"] for q in body["quotes"]] == ["the general", "the cleric"]
    for q in body["quotes"]:
        assert ARTICLE[q["start"] : q["end"]] == q["text"]
        assert set(q["confidence"]) == {"us_presence", "militias", "sentiment"}


def test_label_html_default_id_and_target_subset(client: TestClient) -> None:
    html = "<p>&ldquo;We will respond,&rdquo; a Kataib Hezbollah spokesman said.</p>"
    response = client.post("/v1/label", json={"html": html, "targets": ["militias"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "article"
    assert body["text"] == html
    (quote,) = body["quotes"]
    assert quote["text"] == "We will respond"
    assert html[quote["start"] : quote["end"]].startswith("We will respond")
    assert set(quote["stance"]) == {"militias"}
    assert set(quote["confidence"]) == {"militias", "sentiment"}
    assert set(body["speakers"][0]["stance"]) == {"militias"}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"{not json", "body", "malformed JSON"),
        (b'{"text": "\xff\xfe"}', "body", "not valid UTF-8"),
        (b"", "body", "JSON request body is required"),
        (b"[1, 2]", "body", "must be a JSON object"),
        (b'{"txt": "hello"}', "txt", "unknown field"),
        (b'{"text": 3}', "text", "valid string"),
        (b'{"text": "a", "html": "<p>a</p>"}', "body", "exactly one of 'text' or 'html'"),
        (b'{"text": "a", "targets": []}', "targets", "at least 1 item"),
        (b'{"text": "a", "id": {"x": 1}}', "id", "valid string"),
    ],
)
def test_label_malformed_request_is_422_naming_the_field(
    client: TestClient, body: bytes, field: str, words: str
) -> None:
    response = client.post("/v1/label", content=body, headers={"Content-Type": "application/json"})
    error = assert_error(response, 422, "SW100")
    assert error["field"] == field
    assert words in error["message"]
    assert error["errors"][0]["field"] == field


def test_label_without_json_content_type_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/label", content=b"plain words", headers={"Content-Type": "text/plain"}
    )
    error = assert_error(response, 422, "SW100")
    assert "Content-Type: application/json" in error["message"]


def test_label_empty_article_and_unknown_target(client: TestClient) -> None:
    error = assert_error(client.post("/v1/label", json={"text": " \n "}), 422, "SW101")
    assert error["field"] == "text"
    error = assert_error(
        client.post("/v1/label", json={"text": "a", "targets": ["us_presence", "weather"]}),
        422,
        "SW300",
    )
    assert error["field"] == "targets"
    assert "weather" in error["message"] and "us_presence" in error["message"]


def test_article_over_max_chars_is_413_with_the_limit(
    tiny_pipeline: StancePipeline,
) -> None:
    with serve(tiny_pipeline, max_article_chars=100) as c:
        error = assert_error(c.post("/v1/label", json={"html": "x" * 101}), 413, "SW102")
        assert error["limit"] == 100 and error["field"] == "html"
        assert "the limit is 100" in error["message"]
        assert c.post("/v1/label", json={"text": ARTICLE[:100]}).status_code == 200


def test_body_over_limit_is_413_by_content_length_and_by_stream(
    tiny_pipeline: StancePipeline,
) -> None:
    with serve(tiny_pipeline, max_body_bytes=2000) as c:
        big = json.dumps({"text": "x" * 3000}).encode()
        error = assert_error(
            c.post("/v1/label", content=big, headers={"Content-Type": "application/json"}),
            413,
            "SW904",
        )
        assert error["limit"] == 2000 and "the limit is 2000 bytes" in error["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
            for i in range(0, len(big), 500):
                yield big[i : i + 500]

        response = c.post(
            "/v1/label", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        error = assert_error(response, 413, "SW904")
        assert "the limit is 2000 bytes" in error["message"]
        # a small streamed body goes through whole
        small = json.dumps({"text": ARTICLE}).encode()
        ok = c.post(
            "/v1/label",
            content=iter([small[:10], small[10:]]),
            headers={"Content-Type": "application/json"},
        )
        assert ok.status_code == 200, ok.text
        samples = metric_samples(c)
        assert (
            sample(
                samples,
                "stancewire_http_requests_total",
                method="POST",
                route="/v1/label",
                status="413",
            )
            == 2
        )


# --------------------------------------------------------------------------- batch


def test_batch_keeps_order_and_reports_bad_items_alone(
    client: TestClient, tiny_pipeline: StancePipeline
) -> None:
    articles = [
        {"id": "good", "text": ARTICLE},
        {"txt": "misspelt"},
        "not an object",
        {"id": "empty", "text": "   "},
        {"id": "odd-target", "text": ARTICLE, "targets": ["weather"]},
        {"text": ARTICLE, "targets": ["us_presence"]},
    ]
    response = client.post("/v1/label/batch", json={"articles": articles})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["n_ok"], body["n_failed"]) == (2, 4)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["id"] for r in results] == ["good", "1", "2", "empty", "odd-target", "5"]
    assert [r["status"] for r in results] == [200, 422, 422, 422, 422, 200]
    assert [r["error"]["code"] if r["error"] else None for r in results] == [
        None,
        "SW100",
        "SW100",
        "SW101",
        "SW300",
        None,
    ]
    assert results[1]["error"]["field"] == "articles.1.txt"
    assert results[2]["error"]["field"] == "articles.2"
    assert results[3]["error"]["field"] == "articles.3.text"
    assert results[4]["error"]["field"] == "articles.4.targets"
    expected = tiny_pipeline.label(Article(id="good", text=ARTICLE))
    assert results[0]["result"] == json.loads(expected.model_dump_json())
    assert set(results[5]["result"]["quotes"][0]["stance"]) == {"us_presence"}


def test_batch_limits(tiny_pipeline: StancePipeline) -> None:
    with serve(tiny_pipeline, max_batch_items=3, max_article_chars=50) as c:
        error = assert_error(
            c.post("/v1/label/batch", json={"articles": [{"text": "a"}] * 4}), 413, "SW904"
        )
        assert error["limit"] == 3 and error["field"] == "articles"
        assert "the limit is 3" in error["message"]
        response = c.post(
            "/v1/label/batch",
            json={
                "articles": [{"text": "x" * 51}, {"text": ARTICLE[:33]}],
                "targets": ["militias"],
            },
        )
        assert response.status_code == 200
        bad, good = response.json()["results"]
        assert bad["status"] == 413 and bad["error"]["code"] == "SW102"
        assert bad["error"]["limit"] == 50
        assert good["status"] == 200
        assert set(good["result"]["quotes"][0]["stance"]) == {"militias"}
        error = assert_error(c.post("/v1/label/batch", json={"articles": []}), 422, "SW100")
        assert error["field"] == "articles"
        error = assert_error(
            c.post("/v1/label/batch", json={"articles": [{"text": "a"}], "targets": ["x"]}),
            422,
            "SW300",
        )
        assert error["field"] == "targets"


# --------------------------------------------------------------------------- classify


def test_classify_matches_the_classifier(client: TestClient, tiny_pipeline: StancePipeline) -> None:
    from stancewire.models.classifier import ClassifyInput

    quotes = [
        {
            "id": "q1",
            "text": "US forces must leave Iraq",
            "context": "He said US forces must leave.",
        },
        {"text": "We thank the brave fighters"},
    ]
    response = client.post("/v1/classify", json={"quotes": quotes})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == tiny_pipeline.model_name
    preds = tiny_pipeline.classifier.predict(
        [ClassifyInput(q["text"], q.get("context")) for q in quotes]
    )
    for got, quote, pred in zip(body["results"], quotes, preds, strict=True):
        assert got["id"] == quote.get("id")
        assert got["stance"] == {t: pred[t].label for t in ("us_presence", "militias")}
        assert got["sentiment"] == pred["sentiment"].label
        assert got["confidence"]["sentiment"] == pytest.approx(pred["sentiment"].confidence)
        assert got["probabilities"]["us_presence"] == pred["us_presence"].probs

    one = client.post("/v1/classify", json={"quotes": quotes[:1], "targets": ["militias"]})
    assert set(one.json()["results"][0]["stance"]) == {"militias"}
    assert set(one.json()["results"][0]["probabilities"]) == {"militias", "sentiment"}


def test_classify_errors(tiny_pipeline: StancePipeline) -> None:
    with serve(tiny_pipeline, max_classify_items=2, max_article_chars=20) as c:
        error = assert_error(
            c.post("/v1/classify", json={"quotes": [{"text": "a"}] * 3}), 413, "SW904"
        )
        assert error["limit"] == 2 and error["field"] == "quotes"
        error = assert_error(
            c.post("/v1/classify", json={"quotes": [{"text": "a"}, {"text": "b" * 21}]}),
            413,
            "SW102",
        )
        assert error["field"] == "quotes.1.text" and error["limit"] == 20
        error = assert_error(c.post("/v1/classify", json={"quotes": [{"id": "q"}]}), 422, "SW100")
        assert error["field"] == "quotes.0.text"
        error = assert_error(c.post("/v1/classify", json={"quotes": [{"text": ""}]}), 422, "SW100")
        assert error["field"] == "quotes.0.text"


# --------------------------------------------------------------------------- info routes


def test_targets(client: TestClient) -> None:
    body = client.get("/v1/targets").json()
    assert [t["name"] for t in body["targets"]] == ["us_presence", "militias"]
    assert body["targets"][0]["labels"] == ["favor", "against", "none"]
    assert body["targets"][0]["description"].startswith("The US")
    assert body["sentiment_labels"] == ["positive", "negative", "neutral"]
    assert body["speaker_stance_labels"] == ["favor", "against", "mixed", "none"]


def test_model_info_and_evaluation_report(
    tiny_pipeline: StancePipeline, tiny_model_dir: Path, tmp_path: Path
) -> None:
    config = json.loads((tiny_model_dir / "model.json").read_text())
    with serve(tiny_pipeline, tiny_model_dir, report_path=tmp_path / "runs") as c:
        body = c.get("/v1/model").json()
        assert body["name"] == tiny_pipeline.model_name
        assert body["version"] == config["version"]
        assert body["temperatures"] == config["temperatures"]
        assert body["sentiment_lexicon"] is None  # the tiny model has no stack
        assert body["metrics"] == config["training"]["metrics"]
        assert body["training"]["n_train"] == config["training"]["n_train"]
        assert "output_dir" not in body["training"]["args"]  # no server paths published
        assert body["model_card"] == (tiny_model_dir / "MODEL_CARD.md").read_text()
        assert body["evaluation"] is None
        assert body["development_sets"] == []  # none recorded beside the tiny model
        error = assert_error(c.get("/report"), 404, "SW902")
        assert "stancewire eval" in error["message"]

        old, new = tmp_path / "runs" / "old", tmp_path / "runs" / "new"
        for run, score in ((old, 0.5), (new, 0.75)):
            run.mkdir(parents=True)
            (run / "report.html").write_text(f"<!doctype html><title>{run.name}</title>")
            metrics = {
                "mode": "end_to_end",
                "gold": "/abs/path/eval/gold/seeds.jsonl",
                "metrics": {"quote_f1": score, "n_gold": 48},
                "intervals": {"quote_f1": [0.4, 0.8]},
            }
            (run / "metrics.json").write_text(json.dumps(metrics))
        stamp = time.time()
        os.utime(old / "report.html", (stamp - 100, stamp - 100))  # "new" is the newest
        body = c.get("/v1/model").json()
        assert body["evaluation"] == {
            "report_url": "/report",
            "run": "new",
            "mode": "end_to_end",
            "gold": "seeds.jsonl",
            "metrics": {"quote_f1": 0.75},
        }
        report = c.get("/report")
        assert report.status_code == 200
        assert report.text == "<!doctype html><title>new</title>"
        assert report.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in report.headers["content-security-policy"]


def test_model_info_shows_recorded_development_sets_of_the_served_weights(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from stancewire.models.classifier import model_fingerprint
    from stancewire.training.model_card import EVALUATIONS_FILE

    model_dir = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    entry = {"set": "seeds", "mode": "oracle", "metrics": {"militias_favg": [0.5, 0.4, 0.6]}}
    current = entry | {"fingerprint": model_fingerprint(model_dir)}
    stale = entry | {"set": "older", "fingerprint": "0123456789abcdef"}
    (model_dir / EVALUATIONS_FILE).write_text(json.dumps([current, stale]))
    with serve(load_pipeline(model_dir), model_dir) as c:
        assert c.get("/v1/model").json()["development_sets"] == [current]
    (model_dir / EVALUATIONS_FILE).write_text("{not json")
    with serve(load_pipeline(model_dir), model_dir) as c:
        response = c.get("/v1/model")
        assert response.status_code == 200 and response.json()["development_sets"] == []


def test_model_card_defaults_to_the_bundled_model_dir(tiny_pipeline: StancePipeline) -> None:
    # model_dir unset: the card is read from the bundled model's folder
    with serve(tiny_pipeline) as c:
        body = c.get("/v1/model").json()
        assert body["model_card"].startswith("# stancewire model")


def test_health_and_ready(client: TestClient, tiny_pipeline: StancePipeline) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "model": tiny_pipeline.model_name}


def test_not_ready_while_the_model_loads_then_ready(tiny_pipeline: StancePipeline) -> None:
    release = threading.Event()

    def slow_loader() -> StancePipeline:
        release.wait(timeout=60)
        return tiny_pipeline

    app = create_app(make_settings(retry_after_s=7), loader=slow_loader)
    with TestClient(app) as c:
        try:
            assert c.get("/healthz").status_code == 200
            error = assert_error(c.get("/readyz"), 503, "SW907")
            assert "loading" in error["message"]
            response = c.post("/v1/label", json={"text": ARTICLE})
            assert_error(response, 503, "SW907")
            assert response.headers["retry-after"] == "7"
        finally:
            release.set()
        wait_until(lambda: c.get("/readyz").status_code == 200)
        assert c.post("/v1/label", json={"text": ARTICLE}).status_code == 200


def test_parse_processes_setting_builds_a_pool_that_shutdown_stops(tiny_model_dir: Path) -> None:
    app = create_app(make_settings(model_dir=tiny_model_dir, parse_processes=1))
    with TestClient(app) as c:
        wait_until(lambda: c.get("/readyz").status_code == 200)
        pipeline = app.state.runtime.service.pipeline
        pool = pipeline.parse_pool
        assert pool is not None and pool.processes == 1
        (pid,) = pool._executor._processes
        response = c.post("/v1/label", json={"text": ARTICLE})
        assert response.status_code == 200 and response.json()["quotes"]
    assert pipeline.parse_pool is None and pool._executor is None  # stopped with the app
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_pipeline_handed_to_the_app_is_not_closed_by_it(tiny_pipeline: StancePipeline) -> None:
    closed = []
    tiny_pipeline.close, original = (lambda: closed.append(True)), tiny_pipeline.close
    try:
        with serve(tiny_pipeline) as c:
            assert c.get("/readyz").status_code == 200
        assert closed == []
    finally:
        tiny_pipeline.close = original


def test_failed_model_load_fails_health(tmp_path: Path) -> None:
    app = create_app(make_settings(model_dir=tmp_path / "no-model"))
    with TestClient(app) as c:
        wait_until(lambda: c.get("/healthz").status_code == 503)
        error = assert_error(c.get("/readyz"), 503, "SW907")
        assert "failed to load" in error["message"]
        assert str(tmp_path) not in c.get("/readyz").text
        assert_error(c.get("/v1/targets"), 503, "SW907")


# --------------------------------------------------------------------------- errors everywhere


def test_unknown_route_and_wrong_method(client: TestClient) -> None:
    assert_error(client.get("/v2/nothing"), 404, "SW902")
    assert_error(client.get("/v1/label"), 405, "SW903")
    assert_error(client.get("/static/missing.js"), 404, "SW902")


def test_internal_errors_are_generic_500s(tiny_pipeline: StancePipeline) -> None:
    with serve(BrokenPipeline(tiny_pipeline)) as c:
        for response in (
            c.post("/v1/label", json={"text": ARTICLE}),
            c.post("/v1/classify", json={"quotes": [{"text": "x"}]}),
        ):
            error = assert_error(response, 500, "SW500")
            assert "secret" not in response.text and "Traceback" not in response.text
            assert "boom" not in error["message"]
        batch = c.post("/v1/label/batch", json={"articles": [{"text": ARTICLE}]})
        assert batch.status_code == 200
        (item,) = batch.json()["results"]
        assert item["status"] == 500 and item["error"]["code"] == "SW500"
        assert "secret" not in batch.text


# --------------------------------------------------------------------------- API key


def test_api_key(tiny_pipeline: StancePipeline) -> None:
    with serve(tiny_pipeline, api_key="s3cret-key") as c:
        for path in ("/v1/targets", "/v1/model", "/metrics"):
            response = c.get(path)
            error = assert_error(response, 401, "SW901")
            assert "X-API-Key" in error["message"]
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert_error(c.post("/v1/label", json={"text": ARTICLE}), 401, "SW901")
        assert_error(c.get("/v1/targets", headers={"X-API-Key": "wrong"}), 401, "SW901")
        assert_error(c.get("/v1/targets", headers={"Authorization": "Bearer wrong"}), 401, "SW901")
        assert c.get("/v1/targets", headers={"X-API-Key": "s3cret-key"}).status_code == 200
        assert c.get("/metrics", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
        ok = c.post("/v1/label", json={"text": ARTICLE}, headers={"X-API-Key": "s3cret-key"})
        assert ok.status_code == 200
        # public: probes, the page shell, the offline report, the docs
        for path in ("/healthz", "/readyz", "/", "/static/app.js", "/docs", "/openapi.json"):
            assert c.get(path).status_code == 200, path
        assert c.get("/report").status_code == 404  # public, just absent here
        samples = metric_samples(c, {"X-API-Key": "s3cret-key"})
        assert (
            sample(
                samples,
                "stancewire_http_requests_total",
                method="GET",
                route="/v1/targets",
                status="401",
            )
            == 3
        )


def test_settings_refuse_a_queue_smaller_than_one_request() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"queue_size \(4\) must be >= max_batch_items"):
        make_settings(queue_size=4, max_batch_items=8)
    with pytest.raises(ValidationError, match="classify_queue_size"):
        make_settings(classify_queue_size=10, max_classify_items=11)


def test_empty_api_key_setting_means_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCEWIRE_API_KEY", "  ")
    monkeypatch.setenv("STANCEWIRE_MAX_BATCH", "3")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.api_key is None and settings.max_batch == 3


# ---------------------------------------------------------------------- batching, back-pressure


async def _concurrent_labels(app: Any, n: int) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            requests = [
                c.post("/v1/label", json={"id": f"a{i}", "text": ARTICLE}) for i in range(n)
            ]
            responses = await asyncio.gather(*requests)
            metrics = await c.get("/metrics")
    return [*responses, metrics]


def _batch_metric(metrics_text: str, queue: str = "label") -> tuple[float, float]:
    """(model calls, items) from the batch-size histogram."""
    values = {}
    for family in text_string_to_metric_families(metrics_text):
        for s in family.samples:
            if s.labels.get("queue") == queue:
                values[s.name] = s.value
    return values["stancewire_batch_size_count"], values["stancewire_batch_size_sum"]


def test_concurrent_requests_share_model_calls(tiny_pipeline: StancePipeline) -> None:
    n = 6
    # A long max wait: the batch closes as soon as it has all n, so nothing waits for it.
    app = create_app(make_settings(max_batch=n, max_wait_ms=10_000), tiny_pipeline)
    *responses, metrics = asyncio.run(_concurrent_labels(app, n))
    assert [r.status_code for r in responses] == [200] * n
    assert [r.json()["id"] for r in responses] == [f"a{i}" for i in range(n)]
    expected = json.loads(tiny_pipeline.label(Article(id="a0", text=ARTICLE)).model_dump_json())
    assert responses[0].json() == expected
    calls, items = _batch_metric(metrics.text)
    assert items == n
    assert calls < n


def test_max_batch_1_turns_batching_off(tiny_pipeline: StancePipeline) -> None:
    app = create_app(make_settings(max_batch=1, max_wait_ms=10_000), tiny_pipeline)
    *responses, metrics = asyncio.run(_concurrent_labels(app, 3))
    assert [r.status_code for r in responses] == [200] * 3
    assert _batch_metric(metrics.text) == (3, 3)


def test_full_queue_answers_503_with_retry_after(tiny_pipeline: StancePipeline) -> None:
    gated = GatedPipeline(tiny_pipeline)
    app = create_app(
        make_settings(max_batch=1, max_wait_ms=0, queue_size=1, max_batch_items=1, retry_after_s=3),
        gated,
    )
    results: list[httpx.Response] = []
    with TestClient(app) as c:
        service = app.state.runtime.service
        try:

            def post() -> None:
                results.append(c.post("/v1/label", json={"text": ARTICLE}))

            first = threading.Thread(target=post)
            first.start()
            assert gated.entered.wait(30)  # the first request is in the model
            second = threading.Thread(target=post)
            second.start()
            wait_until(lambda: service.label_queue.depth == 1)  # the second one waits
            response = c.post("/v1/label", json={"text": ARTICLE})
            error = assert_error(response, 503, "SW905")
            assert response.headers["retry-after"] == "3"
            assert "queue is full" in error["message"]
            batch = c.post("/v1/label/batch", json={"articles": [{"text": "a"}]})
            assert_error(batch, 503, "SW905")
        finally:
            gated.gate.set()
        first.join(30)
        second.join(30)
        assert [r.status_code for r in results] == [200, 200]
        samples = metric_samples(c)
        assert sample(samples, "stancewire_queue_rejected_items_total", queue="label") == 2
        assert sample(samples, "stancewire_queue_depth", queue="label") == 0


def test_slow_request_times_out_with_504(tiny_pipeline: StancePipeline) -> None:
    gated = GatedPipeline(tiny_pipeline)
    app = create_app(make_settings(request_timeout_s=0.2), gated)
    with TestClient(app) as c:
        try:
            response = c.post("/v1/label", json={"text": ARTICLE})
            error = assert_error(response, 504, "SW906")
            assert "0.2 s" in error["message"]
        finally:
            gated.gate.set()
        samples = metric_samples(c)
        assert sample(samples, "stancewire_timed_out_items_total", queue="label") == 1
        assert c.post("/v1/label", json={"text": ARTICLE}).status_code == 200


# --------------------------------------------------------------------------- metrics


def test_metrics_by_route_template_and_status(tiny_pipeline: StancePipeline) -> None:
    with serve(tiny_pipeline) as c:
        for _ in range(2):
            assert c.post("/v1/label", json={"text": ARTICLE}).status_code == 200
        c.post("/v1/label", json={"text": ""})
        c.post("/v1/classify", json={"quotes": [{"text": "a"}, {"text": "b"}]})
        c.get("/definitely/not/here")
        samples = metric_samples(c)
    count = "stancewire_http_requests_total"
    assert sample(samples, count, method="POST", route="/v1/label", status="200") == 2
    assert sample(samples, count, method="POST", route="/v1/label", status="422") == 1
    assert sample(samples, count, method="GET", route="unmatched", status="404") == 1
    assert not any("definitely" in str(key) for key in samples)
    latency = "stancewire_http_request_duration_seconds_count"
    assert sample(samples, latency, method="POST", route="/v1/label", status="200") == 2
    # the empty article is refused by the pipeline, inside a model call
    assert sample(samples, "stancewire_batch_size_sum", queue="label") == 3
    assert sample(samples, "stancewire_batch_size_sum", queue="classify") == 2
    assert sample(samples, "stancewire_inference_seconds_count", queue="label") >= 1
    assert sample(samples, "stancewire_queue_depth", queue="label") == 0
    assert sample(samples, "stancewire_ready") == 1
    assert sample(samples, "stancewire_model_info", model=tiny_pipeline.model_name) == 1


# --------------------------------------------------------------------------- docs and page


def test_openapi_documents_every_route_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    routes = {
        ("post", "/v1/label"),
        ("post", "/v1/label/batch"),
        ("post", "/v1/classify"),
        ("get", "/v1/targets"),
        ("get", "/v1/model"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/report"),
        ("get", "/"),
    }
    documented = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert routes == documented
    for method, path in routes:
        op = schema["paths"][path][method]
        ok = op["responses"]["200"]["content"]
        assert any("example" in media for media in ok.values()), (method, path)
        if method == "post":
            examples = op["requestBody"]["content"]["application/json"]["examples"]
            assert examples, path
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }
            assert "413" in op["responses"] and "503" in op["responses"]
    batch = schema["components"]["schemas"]["BatchLabelRequest"]["properties"]["articles"]
    assert batch["items"] == {"$ref": "#/components/schemas/LabelRequest"}


def test_review_page_is_served_safely(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    for needle in ('href="/report"', 'href="#about"', 'id="file"', 'id="article"', "app.js"):
        assert needle in html
    script = client.get("/static/app.js").text
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script
    assert "textContent" in script
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")


# --------------------------------------------------------------------------- the real model


@pytest.mark.slow
def test_documented_examples_are_the_real_output(default_pipeline: StancePipeline) -> None:
    with serve(default_pipeline) as c:
        # stale after retraining? refresh with: python -m stancewire.api.schemas
        response = c.post("/v1/label", json=LABEL_EXAMPLES["text"]["value"])
        assert response.json() == LABELLED_EXAMPLE
        response = c.post("/v1/classify", json=CLASSIFY_EXAMPLES["quotes"]["value"])
        assert response.json() == CLASSIFY_RESPONSE_EXAMPLE
        seed = SEED.read_text(encoding="utf-8")
        body = c.post("/v1/label", json={"id": SEED.stem, "text": seed}).json()
    expected = default_pipeline.label(Article(id=SEED.stem, text=seed))
    assert body == json.loads(expected.model_dump_json())
    speakers = [s["speaker"] for s in body["speakers"]]
    assert "Mohammed Shia al-Sudani" in speakers


def test_classify_reads_the_speaker_like_the_classifier(
    client: TestClient, tiny_pipeline: StancePipeline
) -> None:
    from stancewire.models.classifier import ClassifyInput, speaker_text

    quote = {"text": "We will respond", "context": "The group said it will respond."}
    spoken = quote | {"speaker": "Abu Ali al-Askari", "affiliation": "Kataib Hezbollah"}
    response = client.post("/v1/classify", json={"quotes": [quote, spoken]})
    assert response.status_code == 200, response.text
    plain_got, spoken_got = response.json()["results"]
    who = speaker_text(spoken["speaker"], spoken["affiliation"])
    (expected,) = tiny_pipeline.classifier.predict(
        [ClassifyInput(quote["text"], quote["context"], who)]
    )
    assert spoken_got["probabilities"]["militias"] == expected["militias"].probs
    assert spoken_got["probabilities"] != plain_got["probabilities"]
