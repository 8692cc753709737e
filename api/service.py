"""The labelling service behind the routes: limits, targets, micro-batched model calls.

Routes stay thin: they parse the request (pydantic) and hand it to
:class:`LabelService`, which checks the limits that depend on settings,
queues the work on the micro-batchers and turns the results (or the library's
``ArticleError`` records) into responses. The service owns one single-thread
executor shared by both queues, so model calls never overlap and never run
on the event loop.

It relies only on the pipeline's public surface (``pipe``, ``targets``,
``model_name``, ``classifier.predict``, ``classifier.config``), so any
backend the pipeline grows keeps working here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from stancewire.api.batcher import BatcherStoppedError, MicroBatcher, QueueFullError
from stancewire.api.errors import (
    INTERNAL,
    MALFORMED,
    NOT_READY,
    OVERLOADED,
    TIMED_OUT,
    TOO_LARGE,
    ApiError,
)
from stancewire.api.metrics import ServiceMetrics
from stancewire.api.schemas import (
    BatchItem,
    BatchLabelRequest,
    BatchLabelResponse,
    ClassifyRequest,
    ClassifyResponse,
    ErrorDetail,
    EvaluationInfo,
    InvalidItem,
    LabelRequest,
    ModelInfo,
    QuoteLabels,
    TargetInfo,
    TargetsResponse,
)
from stancewire.api.settings import Settings
from stancewire.models.classifier import ClassifyInput, speaker_text
from stancewire.models.errors import ArticleTooLargeError, ConfigError
from stancewire.models.memory import MemoryTrimmer
from stancewire.models.pipeline import StancePipeline
from stancewire.models.schema import (
    SENTIMENT_LABELS,
    STANCE_LABELS,
    Article,
    ArticleError,
    LabelledArticle,
)

logger = logging.getLogger("stancewire.api")

LabelWork = tuple[Article, tuple[str, ...]]
LabelResult = LabelledArticle | ArticleError

MODEL_CARD_FILE = "MODEL_CARD.md"
_TRAINING_KEYS = ("n_train", "n_heldout", "data_sha256", "seconds")
_PATH_ARGS = ("output_dir", "data_dir")


class LabelService:
    """One loaded pipeline served through two micro-batched queues.

    Args:
        pipeline: the loaded pipeline.
        settings: limits and batching knobs.
        metrics: the app's metrics (batch sizes, queue depth, inference time).
        model_dir: where the model's ``MODEL_CARD.md`` is (for ``/v1/model``).
    """

    def __init__(
        self,
        pipeline: StancePipeline,
        settings: Settings,
        metrics: ServiceMetrics,
        *,
        model_dir: Path | None,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.targets: list[str] = list(pipeline.targets)
        self.model_name: str = pipeline.model_name
        self.model_dir = model_dir
        self.trimmer = MemoryTrimmer(settings.trim_memory_s, enabled=settings.trim_memory_s > 0)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stancewire-model")
        self.label_queue: MicroBatcher[LabelWork, LabelResult] = MicroBatcher(
            self._label_batch,
            name="label",
            max_batch=settings.max_batch,
            max_wait_ms=settings.max_wait_ms,
            queue_size=settings.queue_size,
            executor=self._executor,
            observer=metrics.observer("label"),
        )
        self.classify_queue: MicroBatcher[ClassifyInput, dict[str, Any]] = MicroBatcher(
            self._classify_batch,
            name="classify",
            max_batch=settings.max_batch_quotes,
            max_wait_ms=settings.max_wait_ms,
            queue_size=settings.classify_queue_size,
            executor=self._executor,
            observer=metrics.observer("classify"),
        )
        metrics.model_info.labels(self.model_name).set(1)

    async def start(self) -> None:
        await self.label_queue.start()
        await self.classify_queue.start()

    async def stop(self) -> None:
        await self.label_queue.stop()
        await self.classify_queue.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ model calls (thread)

    def _label_batch(self, items: list[LabelWork]) -> list[LabelResult | BaseException]:
        """Label a batch; articles asking for different targets go in separate ``pipe`` calls."""
        results: list[LabelResult | BaseException | None] = [None] * len(items)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, (_, targets) in enumerate(items):
            groups.setdefault(targets, []).append(i)
        for targets, indices in groups.items():
            try:
                out = list(
                    self.pipeline.pipe([items[i][0] for i in indices], targets=list(targets))
                )
            except Exception as err:  # noqa: BLE001 - reported to these callers only
                logger.error("pipeline failed on a batch of %d", len(indices), exc_info=err)
                out = [err] * len(indices)
            for i, result in zip(indices, out, strict=True):
                results[i] = result
        self.trimmer.after_work()
        return [r if r is not None else RuntimeError("no result") for r in results]

    def _classify_batch(self, items: list[ClassifyInput]) -> list[dict[str, Any]]:
        out = list(self.pipeline.classifier.predict(items))
        self.trimmer.after_work()
        return out

    # ------------------------------------------------------------------ checks

    def check_targets(self, targets: Sequence[str] | None, *, field: str) -> tuple[str, ...]:
        """The targets to label (all by default); 422 ``SW300`` naming the field if unknown."""
        if targets is None:
            return tuple(self.targets)
        unknown = [t for t in targets if t not in self.targets]
        if unknown:
            raise ApiError(
                422,
                ConfigError.code,
                f"unknown target(s) {unknown}; this model knows {self.targets}",
                field=field,
            )
        return tuple(dict.fromkeys(targets))

    def check_size(self, text: str, *, field: str) -> None:
        """413 ``SW102`` when a text is over ``max_article_chars`` (before it is queued)."""
        limit = self.settings.max_article_chars
        if len(text) > limit:
            raise ApiError(
                413,
                ArticleTooLargeError.code,
                f"{field} has {len(text)} characters; the limit is {limit}",
                field=field,
                limit=limit,
            )

    def _check_count(self, n: int, limit: int, *, field: str, setting: str) -> None:
        if n > limit:
            raise ApiError(
                413,
                TOO_LARGE,
                f"{field} has {n} items; the limit is {limit} per request ({setting})",
                field=field,
                limit=limit,
            )

    # ------------------------------------------------------------------ queueing

    async def _submit(
        self, queue: MicroBatcher[Any, Any], items: Sequence[Any]
    ) -> list[Any | BaseException]:
        """Queue items and wait; queue errors become 503 / 504 responses."""
        try:
            return await queue.submit_many(items, timeout=self.settings.request_timeout_s)
        except QueueFullError as err:
            raise ApiError(
                503,
                OVERLOADED,
                f"server busy: {err}; retry in {self.settings.retry_after_s} s",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            ) from err
        except TimeoutError as err:
            raise ApiError(
                504,
                TIMED_OUT,
                f"the request did not finish within {self.settings.request_timeout_s:g} s "
                "(STANCEWIRE_REQUEST_TIMEOUT_S); try fewer or shorter articles",
            ) from err
        except BatcherStoppedError as err:
            raise ApiError(
                503,
                NOT_READY,
                "the server is shutting down",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            ) from err

    # ------------------------------------------------------------------ label

    def _article(self, req: LabelRequest, default_id: str, *, prefix: str = "") -> Article:
        self.check_size(req.body, field=prefix + req.body_field)
        return Article(id=req.id or default_id, text=req.body, source=req.source)

    async def label(self, req: LabelRequest) -> LabelledArticle:
        """``POST /v1/label``: one article, errors as HTTP errors."""
        targets = self.check_targets(req.targets, field="targets")
        article = self._article(req, "article")
        (result,) = await self._submit(self.label_queue, [(article, targets)])
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, ArticleError):
            status, detail = _article_error(result, req.body_field)
            raise ApiError(status, detail.code, detail.message, field=detail.field)
        return result

    async def label_batch(self, req: BatchLabelRequest) -> BatchLabelResponse:
        """``POST /v1/label/batch``: each article succeeds or fails on its own."""
        self._check_count(
            len(req.articles),
            self.settings.max_batch_items,
            field="articles",
            setting="STANCEWIRE_MAX_BATCH_ITEMS",
        )
        default_targets = self.check_targets(req.targets, field="targets")
        items: list[BatchItem] = []
        work: list[LabelWork] = []
        work_index: list[int] = []
        for i, raw in enumerate(req.articles):
            prefix = f"articles.{i}."
            if isinstance(raw, InvalidItem):
                items.append(_invalid_item(i, raw))
                continue
            item_id = raw.id or str(i)
            try:
                targets = (
                    self.check_targets(raw.targets, field=prefix + "targets")
                    if raw.targets is not None
                    else default_targets
                )
                article = self._article(raw, item_id, prefix=prefix)
            except ApiError as err:
                items.append(BatchItem(index=i, id=item_id, status=err.status, error=err.detail))
                continue
            items.append(BatchItem(index=i, id=item_id, status=200))
            work.append((article, targets))
            work_index.append(len(items) - 1)
        results = await self._submit(self.label_queue, work)
        for slot, result in zip(work_index, results, strict=True):
            item = items[slot]
            if isinstance(result, LabelledArticle):
                item.result = result
            elif isinstance(result, ArticleError):
                field = f"articles.{item.index}.{_body_field(req.articles[item.index])}"
                item.status, item.error = _article_error(result, field)
            else:
                logger.error("label batch item %d failed", item.index, exc_info=result)
                item.status = 500
                item.error = ErrorDetail(code=INTERNAL, message="internal error while labelling")
        n_ok = sum(item.status == 200 for item in items)
        return BatchLabelResponse(results=items, n_ok=n_ok, n_failed=len(items) - n_ok)

    # ------------------------------------------------------------------ classify

    async def classify(self, req: ClassifyRequest) -> ClassifyResponse:
        """``POST /v1/classify``: stance and sentiment of the caller's quotes."""
        self._check_count(
            len(req.quotes),
            self.settings.max_classify_items,
            field="quotes",
            setting="STANCEWIRE_MAX_CLASSIFY_ITEMS",
        )
        targets = self.check_targets(req.targets, field="targets")
        for i, quote in enumerate(req.quotes):
            self.check_size(quote.text, field=f"quotes.{i}.text")
            if quote.context is not None:
                self.check_size(quote.context, field=f"quotes.{i}.context")
        inputs = [
            ClassifyInput(q.text, q.context, speaker_text(q.speaker, q.affiliation))
            for q in req.quotes
        ]
        predictions = await self._submit(self.classify_queue, inputs)
        results = []
        for quote, pred in zip(req.quotes, predictions, strict=True):
            if isinstance(pred, BaseException):
                raise pred
            tasks = [*targets, "sentiment"]
            results.append(
                QuoteLabels(
                    id=quote.id,
                    text=quote.text,
                    stance={t: pred[t].label for t in targets},
                    sentiment=pred["sentiment"].label,
                    confidence={t: round(pred[t].confidence, 4) for t in tasks},
                    probabilities={t: dict(pred[t].probs) for t in tasks},
                )
            )
        return ClassifyResponse(results=results, model=self.model_name)

    # ------------------------------------------------------------------ info

    def targets_info(self) -> TargetsResponse:
        """``GET /v1/targets``: names, descriptions (from the targets file) and labels."""
        descriptions = _target_descriptions()
        return TargetsResponse(
            targets=[
                TargetInfo(name=t, description=descriptions.get(t), labels=list(STANCE_LABELS))
                for t in self.targets
            ],
            sentiment_labels=list(SENTIMENT_LABELS),
            speaker_stance_labels=["favor", "against", "mixed", "none"],
        )

    def model_info(self) -> ModelInfo:
        """``GET /v1/model``: version, provenance, shipped metrics, card, latest report."""
        config = getattr(self.pipeline.classifier, "config", None)
        training: dict[str, Any] = dict(getattr(config, "training", None) or {})
        tasks = dict(getattr(config, "tasks", None) or {})
        if not tasks:
            tasks = {t: list(STANCE_LABELS) for t in self.targets}
            tasks["sentiment"] = list(SENTIMENT_LABELS)
        provenance = {k: training[k] for k in _TRAINING_KEYS if k in training}
        if isinstance(training.get("data_files"), list):
            provenance["n_data_files"] = len(training["data_files"])
        if isinstance(training.get("args"), dict):
            provenance["args"] = {k: v for k, v in training["args"].items() if k not in _PATH_ARGS}
        card = None
        if self.model_dir is not None and (self.model_dir / MODEL_CARD_FILE).is_file():
            card = (self.model_dir / MODEL_CARD_FILE).read_text("utf-8")
        return ModelInfo(
            name=self.model_name,
            version=str(getattr(config, "version", "unknown")),
            base_model=getattr(config, "base_model", None),
            targets=self.targets,
            tasks=tasks,
            temperatures=dict(getattr(config, "temperatures", None) or {}),
            sentiment_lexicon=_as_dict(getattr(config, "sentiment_lexicon", None)),
            max_length=getattr(config, "max_length", None),
            training=provenance,
            metrics=dict(training.get("metrics") or {}),
            development_sets=self._development_sets(),
            model_card=card,
            evaluation=latest_evaluation(self.settings.report_path),
        )

    def _development_sets(self) -> list[dict[str, Any]]:
        """The development-set scores recorded beside the model (``stancewire card --eval``)."""
        # only runs of the weights being served (an NLI backend has no fingerprint)
        served = getattr(self.pipeline.classifier, "fingerprint", None)
        if self.model_dir is None or not served:
            return []
        from stancewire.training.model_card import load_evaluations

        try:
            return load_evaluations(self.model_dir, served)
        except ConfigError as err:  # a damaged file must not take /v1/model down
            logger.warning("ignoring recorded evaluations: %s", err)
            return []


# --------------------------------------------------------------------------- helpers


def _as_dict(value: object) -> dict[str, Any] | None:
    """A config dataclass as JSON-ready data (None stays None)."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else None


def _body_field(raw: object) -> str:
    return raw.body_field if isinstance(raw, LabelRequest) else "text"


def _article_error(err: ArticleError, field: str) -> tuple[int, ErrorDetail]:
    """HTTP status and error detail for a pipeline ``ArticleError`` record."""
    if err.code == "SW102":
        return 413, ErrorDetail(code=err.code, message=err.message, field=field)
    if err.code.startswith("SW1"):
        return 422, ErrorDetail(code=err.code, message=err.message, field=field)
    logger.error("article %r failed: [%s] %s", err.id, err.code, err.message)
    return 500, ErrorDetail(code=INTERNAL, message="internal error while labelling")


def _invalid_item(index: int, item: InvalidItem) -> BatchItem:
    """The per-item 422 of a batch article that failed validation (fields under ``articles.i``)."""
    prefix = f"articles.{index}"
    problems = [
        p.model_copy(update={"field": prefix if p.field == "body" else f"{prefix}.{p.field}"})
        for p in item.problems
    ]
    first = problems[0] if problems else None
    message = f"{first.field}: {first.message}" if first else "invalid article"
    return BatchItem(
        index=index,
        id=item.id or str(index),
        status=422,
        error=ErrorDetail(
            code=MALFORMED, message=message, field=first.field if first else prefix, errors=problems
        ),
    )


def _target_descriptions() -> dict[str, str]:
    """Target descriptions from the targets file; none if it cannot be read."""
    try:
        from stancewire.models.targets import load_targets

        return {t.name: t.description for t in load_targets()}
    except Exception:  # noqa: BLE001 - descriptions are a nicety, never a failure
        logger.warning("cannot read target descriptions", exc_info=True)
        return {}


def find_report(path: Path) -> Path | None:
    """The evaluation report to serve: ``path`` itself, or the newest ``*/report.html`` in it."""
    if path.is_file():
        return path
    if not path.is_dir():
        return None
    candidates = [p for p in (path / "report.html", *path.glob("*/report.html")) if p.is_file()]
    return max(candidates, key=lambda p: p.stat().st_mtime, default=None)


def latest_evaluation(path: Path) -> EvaluationInfo | None:
    """What ``/v1/model`` says about the latest report: run name and headline metrics."""
    report = find_report(path)
    if report is None:
        return None
    info = EvaluationInfo(report_url="/report", run=report.parent.name)
    metrics_file = report.with_name("metrics.json")
    try:
        data = json.loads(metrics_file.read_text("utf-8"))
    except (OSError, ValueError):
        return info
    if not isinstance(data, dict):
        return info
    metrics = data.get("metrics") if isinstance(data.get("metrics"), dict) else {}
    headline = data.get("intervals") if isinstance(data.get("intervals"), dict) else metrics
    info.mode = data.get("mode") if isinstance(data.get("mode"), str) else None
    # the file name only: a server must not publish its filesystem layout
    info.gold = Path(data["gold"]).name if isinstance(data.get("gold"), str) else None
    info.metrics = {
        k: float(v)
        for k, v in metrics.items()
        if k in headline and isinstance(v, int | float) and not isinstance(v, bool)
    }
    return info


def not_ready(message: str, retry_after_s: int) -> ApiError:
    """503 ``SW907``: the model is not (yet) loaded."""
    return ApiError(503, NOT_READY, message, headers={"Retry-After": str(retry_after_s)})
