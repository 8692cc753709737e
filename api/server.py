"""The HTTP service: ``create_app()`` builds the FastAPI app that ``stancewire serve`` runs.

Shape of a production inference server (TEI, Triton, Ray Serve):

- the model loads **once**, in the background at start-up: ``/healthz``
  answers at once (the process is alive), ``/readyz`` only when the model is
  loaded, and model routes answer 503 ``SW907`` until then;
- concurrent requests are **micro-batched** (:mod:`stancewire.api.batcher`)
  and run in a worker thread, so the event loop never blocks;
- bounded queue (503 + ``Retry-After``), per-request timeout (504), body and
  article size limits (413), one JSON error shape (:mod:`stancewire.api.errors`);
- Prometheus metrics at ``/metrics`` from a registry of this app's own;
- an optional API key (``STANCEWIRE_API_KEY``) compared in constant time.

Routes are thin: they validate (pydantic) and call :class:`LabelService`,
which they get from the ``get_service`` dependency.

Run it with ``stancewire serve`` or ``uvicorn --factory stancewire.api.server:create_app``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Security
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stancewire import __version__
from stancewire.api.errors import (
    HTTP_CODES,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    install_error_handlers,
)
from stancewire.api.limits import BodyLimitMiddleware
from stancewire.api.metrics import MetricsMiddleware, ServiceMetrics
from stancewire.api.schemas import (
    BATCH_EXAMPLES,
    BATCH_RESPONSE_EXAMPLE,
    CLASSIFY_EXAMPLES,
    CLASSIFY_RESPONSE_EXAMPLE,
    LABEL_EXAMPLES,
    LABELLED_EXAMPLE,
    MODEL_EXAMPLE,
    TARGETS_EXAMPLE,
    BatchLabelRequest,
    BatchLabelResponse,
    ClassifyRequest,
    ClassifyResponse,
    ErrorResponse,
    HealthResponse,
    LabelRequest,
    ModelInfo,
    ReadyResponse,
    TargetsResponse,
)
from stancewire.api.service import LabelService, find_report, not_ready
from stancewire.api.settings import Settings
from stancewire.models.pipeline import (
    DEFAULT_MODEL_DIR,
    MODEL_DIR_BACKENDS,
    StancePipeline,
    load_pipeline,
)
from stancewire.models.schema import LabelledArticle

logger = logging.getLogger("stancewire.api")

STATIC_DIR = Path(__file__).with_name("static")

PAGE_HEADERS = {
    # The review page loads only its own script and style: a quote containing
    # markup can never run, even if a future change rendered it as HTML.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
REPORT_HEADERS = {
    # The evaluation report is self-contained (inline style, script and images)
    # and must not reach the network.
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

PipelineLoader = Callable[[], StancePipeline]


# --------------------------------------------------------------------------- runtime state


class Runtime:
    """What the app holds across requests: the settings, the metrics, the service once loaded.

    Why a small state object instead of module globals: several apps (tests,
    benchmarks) live in one process, each with its own model and metrics.
    """

    def __init__(
        self,
        settings: Settings,
        metrics: ServiceMetrics,
        *,
        pipeline: StancePipeline | None,
        loader: PipelineLoader | None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.model_dir = settings.model_dir or DEFAULT_MODEL_DIR
        self._pipeline = pipeline
        self._loader = loader or self._default_loader
        self.service: LabelService | None = None
        self.failed = False
        self._load_task: asyncio.Task[None] | None = None
        self._loaded: StancePipeline | None = None  # built here, so stopped here

    def _default_loader(self) -> StancePipeline:
        return load_pipeline(
            self.model_dir if self.settings.backend in MODEL_DIR_BACKENDS else None,
            backend=self.settings.backend,
            nli_model=self.settings.nli_model,
            max_chars=self.settings.max_article_chars,
            batch_size=self.settings.max_batch,
            parse_processes=self.settings.parse_processes,
        )

    async def _activate(self, pipeline: StancePipeline) -> None:
        service = LabelService(pipeline, self.settings, self.metrics, model_dir=self.model_dir)
        await service.start()
        self.service = service
        self.metrics.ready.set(1)
        logger.info("model %s ready", service.model_name)

    async def _load(self) -> None:
        try:
            pipeline = await asyncio.to_thread(self._loader)
            self._loaded = pipeline
            await self._activate(pipeline)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.failed = True
            logger.exception("the model failed to load; /readyz and /healthz report 503")

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """Load the pipeline once (in the background unless one was given); stop the queues."""
        if self._pipeline is not None:
            await self._activate(self._pipeline)
        else:
            self._load_task = asyncio.create_task(self._load(), name="stancewire-load")
        try:
            yield
        finally:
            if self._load_task is not None and not self._load_task.done():
                self._load_task.cancel()
            if self.service is not None:
                await self.service.stop()
                self.service = None
            if self._loaded is not None:
                await asyncio.to_thread(self._loaded.close)
                self._loaded = None
            self.metrics.ready.set(0)


# --------------------------------------------------------------------------- dependencies


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_service(runtime: Annotated[Runtime, Depends(get_runtime)]) -> LabelService:
    """The loaded service, or 503 ``SW907`` while the model loads (or after it failed)."""
    if runtime.service is None:
        reason = "the model failed to load" if runtime.failed else "the model is still loading"
        raise not_ready(f"{reason}; see /readyz", runtime.settings.retry_after_s)
    return runtime.service


_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed only when the server sets STANCEWIRE_API_KEY.",
)
_bearer = HTTPBearer(
    auto_error=False, description="The API key as a bearer token (for Prometheus scrapers)."
)


def require_key(
    runtime: Annotated[Runtime, Depends(get_runtime)],
    key: Annotated[str | None, Security(_key_header)] = None,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> None:
    """401 unless the request carries the API key (when one is set); constant-time compare."""
    secret = runtime.settings.api_key
    if secret is None:
        return
    given = key if key is not None else (bearer.credentials if bearer is not None else None)
    expected = secret.get_secret_value().encode("utf-8")
    if given is None or not hmac.compare_digest(given.encode("utf-8"), expected):
        raise ApiError(
            401,
            UNAUTHORIZED,
            "missing or wrong API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'",
            headers={"WWW-Authenticate": 'Bearer realm="stancewire"'},
        )


ServiceDep = Annotated[LabelService, Depends(get_service)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can return."""
    meaning = {
        401: "Missing or wrong API key (only when STANCEWIRE_API_KEY is set).",
        404: "Not found.",
        413: "Body, article or item count over its limit; the message names the limit.",
        422: "Malformed JSON or fields; `error.field` names the field.",
        500: "Internal error (a bug); no details are sent.",
        503: "Model not loaded yet (SW907) or queue full (SW905); see Retry-After.",
        504: "Not finished within STANCEWIRE_REQUEST_TIMEOUT_S.",
    }
    return {s: {"model": ErrorResponse, "description": meaning[s]} for s in statuses}


def _example(value: Any, *, status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {status: {"content": {"application/json": {"example": value}}}}


# --------------------------------------------------------------------------- routes

probe = APIRouter(tags=["health"])
api = APIRouter(dependencies=[Depends(require_key)])
page = APIRouter(tags=["review page"])


@probe.get(
    "/healthz",
    response_model=HealthResponse,
    summary="Liveness: the process is up",
    responses={**_example({"status": "ok"}), **_errors(503)},
)
async def healthz(runtime: Annotated[Runtime, Depends(get_runtime)]) -> HealthResponse:
    """200 while the process serves requests, even while the model loads; 503 only when
    the model failed to load (so an orchestrator restarts the process). No API key."""
    if runtime.failed:
        raise not_ready("the model failed to load", runtime.settings.retry_after_s)
    return HealthResponse(status="ok")


@probe.get(
    "/readyz",
    response_model=ReadyResponse,
    summary="Readiness: the model is loaded",
    responses={**_example({"status": "ready", "model": "stancewire-0.7.0"}), **_errors(503)},
)
async def readyz(runtime: Annotated[Runtime, Depends(get_runtime)]) -> ReadyResponse:
    """200 once the model is loaded and the queues run; 503 (SW907) before. No API key."""
    service = get_service(runtime)
    return ReadyResponse(status="ready", model=service.model_name)


@api.post(
    "/v1/label",
    response_model=LabelledArticle,
    tags=["label"],
    summary="Label one article",
    responses={**_example(LABELLED_EXAMPLE), **_errors(401, 413, 422, 500, 503, 504)},
)
async def label(
    body: Annotated[LabelRequest, Body(openapi_examples=LABEL_EXAMPLES)],
    service: ServiceDep,
) -> LabelledArticle:
    """Find the quotes of one article, attribute them, label stance per target and
    sentiment, and roll the stances up per speaker: the same object `stancewire label`
    writes. Offsets are into the text as given. An empty article is 422 (SW101); one
    over STANCEWIRE_MAX_ARTICLE_CHARS is 413 (SW102); an unknown target is 422 (SW300)."""
    return await service.label(body)


@api.post(
    "/v1/label/batch",
    response_model=BatchLabelResponse,
    tags=["label"],
    summary="Label many articles",
    responses={**_example(BATCH_RESPONSE_EXAMPLE), **_errors(401, 413, 422, 500, 503, 504)},
)
async def label_batch(
    body: Annotated[BatchLabelRequest, Body(openapi_examples=BATCH_EXAMPLES)],
    service: ServiceDep,
) -> BatchLabelResponse:
    """Label up to STANCEWIRE_MAX_BATCH_ITEMS articles (default 32; more is 413). Results
    come back in input order; an article that is invalid, empty or too large gets its own
    `error` and `status` instead of failing the batch. The articles share the model queue
    with every other request, so they are micro-batched with them."""
    return await service.label_batch(body)


@api.post(
    "/v1/classify",
    response_model=ClassifyResponse,
    tags=["label"],
    summary="Stance and sentiment of given quotes",
    responses={**_example(CLASSIFY_RESPONSE_EXAMPLE), **_errors(401, 413, 422, 500, 503, 504)},
)
async def classify(
    body: Annotated[ClassifyRequest, Body(openapi_examples=CLASSIFY_EXAMPLES)],
    service: ServiceDep,
) -> ClassifyResponse:
    """Label quotes you already have (no extraction): stance per target, sentiment, and
    calibrated probabilities. At most STANCEWIRE_MAX_CLASSIFY_ITEMS quotes (default 256)."""
    return await service.classify(body)


@api.get(
    "/v1/targets",
    response_model=TargetsResponse,
    tags=["model"],
    summary="The stance targets and labels",
    responses={**_example(TARGETS_EXAMPLE), **_errors(401, 503)},
)
async def targets(service: ServiceDep) -> TargetsResponse:
    """The targets the served model labels, with their labels and descriptions."""
    return service.targets_info()


@api.get(
    "/v1/model",
    response_model=ModelInfo,
    tags=["model"],
    summary="The served model, its card and metrics",
    responses={**_example(MODEL_EXAMPLE), **_errors(401, 503)},
)
async def model(service: ServiceDep) -> ModelInfo:
    """Version, training provenance, the evaluation metrics the model shipped with
    (held-out split and calibration, from model.json), its model card (Markdown), and
    the latest evaluation report the server can see (`evaluation.report_url`)."""
    return await asyncio.to_thread(service.model_info)


@api.get(
    "/metrics",
    tags=["health"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {
                CONTENT_TYPE_LATEST.split(";")[0]: {
                    "example": 'stancewire_http_requests_total{method="POST",route="/v1/label",'
                    'status="200"} 3.0\n'
                }
            }
        },
        **_errors(401),
    },
)
async def metrics(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Response:
    """Request counts and latencies by route template and status, batch sizes, queue
    depth, model inference time, rejected and timed-out items. Needs the API key when
    one is set (Prometheus: `authorization: {credentials: KEY}`)."""
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@page.get(
    "/report",
    tags=["model"],
    summary="The latest evaluation report (HTML)",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {"example": "<!doctype html><title>report</title>"}}},
        404: {
            # spelled out: with `model=` FastAPI would document it as text/html
            "description": "No evaluation report found.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}
            },
        },
    },
)
async def report(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Response:
    """The newest `report.html` under STANCEWIRE_REPORT_PATH (what `stancewire eval`
    writes); 404 when there is none. Like the review page and these docs it is static
    documentation made offline, so it needs no API key (a link must open it)."""
    path = await asyncio.to_thread(find_report, runtime.settings.report_path)
    if path is None:
        raise ApiError(
            404,
            NOT_FOUND,
            "no evaluation report found: run 'stancewire eval' or set STANCEWIRE_REPORT_PATH",
        )
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=REPORT_HEADERS)


@page.get(
    "/",
    summary="The review page",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {"example": "<!doctype html><title>stancewire"}}}},
)
async def review_page() -> Response:
    """Paste or upload an article and see its quotes, speakers and stances. The page
    itself holds no data, so it needs no API key; it asks for one when the API does."""
    return FileResponse(
        STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS
    )


# --------------------------------------------------------------------------- factory

DESCRIPTION = """\
Find the quoted and reported statements in news articles, attribute them to their
speakers, and label each one's stance toward the US military presence in Iraq and the
Iran-backed militias, plus its sentiment, with calibrated confidences.

Every error is `{"error": {"code", "message", ...}}` with a stable `SWxxx` code.
When the server sets `STANCEWIRE_API_KEY`, the model routes (`/v1/*`) and `/metrics`
need the key (`X-API-Key` or `Authorization: Bearer`); the probes (`/healthz`,
`/readyz`) and the static documents (the review page `/` and `/static/*`, the
evaluation report `/report`, these docs) do not: they hold no model output.

| code | status | meaning |
|---|---|---|
""" + "\n".join(
    f"| `{code}` | {status} | {meaning} |" for code, (status, meaning) in HTTP_CODES.items()
)


def create_app(
    settings: Settings | None = None,
    pipeline: StancePipeline | None = None,
    *,
    loader: PipelineLoader | None = None,
) -> FastAPI:
    """Build the app.

    Args:
        settings: the settings (default: from ``STANCEWIRE_*`` environment variables).
        pipeline: an already loaded pipeline to serve (tests, embedding); without it
            the app loads ``settings.model_dir`` in the background at start-up.
        loader: how to load the pipeline instead (tests use it to control timing).
    """
    settings = settings or Settings()
    metrics = ServiceMetrics()
    runtime = Runtime(settings, metrics, pipeline=pipeline, loader=loader)
    app = FastAPI(
        title="stancewire",
        version=__version__,
        summary="Stance and sentiment of news quotes about Iraq.",
        description=DESCRIPTION,
        lifespan=runtime.lifespan,
        openapi_tags=[
            {"name": "label", "description": "Label articles and quotes."},
            {"name": "model", "description": "What is served and how well it does."},
            {"name": "health", "description": "Probes and metrics."},
            {"name": "review page", "description": "The browser page for analysts."},
        ],
    )
    app.state.runtime = runtime
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(probe)
    app.include_router(api)
    app.include_router(page)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Last added is outermost: metrics see every response, 413s included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    routes = [*probe.routes, *api.routes, *page.routes]
    routes += [r for r in app.router.routes if hasattr(r, "path")]  # docs, /static
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=routes)
    return app
