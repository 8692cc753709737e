"""Server settings, read from ``STANCEWIRE_*`` environment variables.

Why pydantic-settings: one typed, validated place for every knob, so that a bad
value (``STANCEWIRE_MAX_BATCH=zero``) stops the server at start with a clear
message instead of failing on the first request; ``stancewire serve`` flags
override the environment by passing keyword arguments to :class:`Settings`.

Every field below is documented in the README's settings table; the env var
is the field name upper-cased with the ``STANCEWIRE_`` prefix
(``max_wait_ms`` -> ``STANCEWIRE_MAX_WAIT_MS``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "STANCEWIRE_"


class Settings(BaseSettings):
    """Everything the HTTP service can be told; defaults suit one laptop CPU."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        validate_default=True,
        # ``model_dir`` is a field name, not pydantic's protected namespace here.
        protected_namespaces=(),
    )

    host: str = Field("127.0.0.1", description="Interface `stancewire serve` binds to.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port `stancewire serve` listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="uvicorn worker processes; each loads its own copy of the model.",
    )
    parse_processes: int = Field(
        0,
        ge=0,
        le=64,
        description="Parse each article in this many helper processes, cut at paragraph "
        "boundaries, so one request uses more than one core; 0 parses in the worker itself. "
        "Per uvicorn worker: keep workers x parse processes at or below the cores.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="uvicorn and stancewire log level."
    )
    model_dir: Path | None = Field(
        None, description="Model directory to serve (default: the bundled model)."
    )
    backend: str = Field(
        "finetuned",
        description="Stance backend: finetuned, onnx (the same model on ONNX Runtime, int8), "
        "nli (needs STANCEWIRE_NLI_MODEL) or embedding.",
    )
    nli_model: str | None = Field(
        None, description="Hugging Face hub name or local path of the NLI model (backend nli)."
    )
    api_key: SecretStr | None = Field(
        None,
        description="When set, /v1/* and /metrics need it, as `X-API-Key: KEY` or "
        "`Authorization: Bearer KEY` (401 otherwise); /healthz, /readyz, the review page, "
        "/report and the docs stay open.",
    )
    max_batch: int = Field(
        8,
        ge=1,
        le=256,
        description="Most articles per model call. Concurrent requests are micro-batched up "
        "to this size; 1 turns micro-batching off.",
    )
    max_batch_quotes: int = Field(
        64,
        ge=1,
        le=4096,
        description="Most quotes per classifier call for /v1/classify (1 turns batching off).",
    )
    max_wait_ms: float = Field(
        5.0,
        ge=0,
        le=10_000,
        description="How long the batcher waits for more work after the first item "
        "before it runs a partial batch.",
    )
    queue_size: int = Field(
        64,
        ge=1,
        le=100_000,
        description="Articles that may wait for the model (from /v1/label and /v1/label/batch); "
        "a request that does not fit gets 503 with Retry-After.",
    )
    classify_queue_size: int = Field(
        1024,
        ge=1,
        le=1_000_000,
        description="Quotes that may wait for the classifier (/v1/classify); beyond it, 503.",
    )
    retry_after_s: int = Field(
        1, ge=0, le=3600, description="Retry-After seconds sent with a 503 when the queue is full."
    )
    request_timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Most seconds a request may wait for its results (queue and model); then 504.",
    )
    max_body_bytes: int = Field(
        4_000_000, ge=1024, description="Largest request body accepted; larger gets 413."
    )
    max_article_chars: int = Field(
        200_000, ge=1, description="Longest article (characters) accepted; longer gets 413."
    )
    max_batch_items: int = Field(
        32, ge=1, le=10_000, description="Most articles in one /v1/label/batch call; more: 413."
    )
    max_classify_items: int = Field(
        256, ge=1, le=100_000, description="Most quotes in one /v1/classify call; more: 413."
    )
    trim_memory_s: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="After a model call, give freed heap memory back to the OS (glibc "
        "malloc_trim) at most once per this many seconds, so memory stays flat under "
        "varied traffic; 0 turns it off.",
    )
    report_path: Path = Field(
        Path("runs"),
        description="The evaluation report served at /report: a report.html file, or a "
        "directory searched for the newest */report.html (stancewire eval writes them).",
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        """``STANCEWIRE_API_KEY=`` (empty) means no key, not a key of ``""``."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _a_full_request_fits_the_queue(self) -> Settings:
        """A request at its item limit must fit an empty queue, or it could never be served."""
        if self.queue_size < self.max_batch_items:
            raise ValueError(
                f"queue_size ({self.queue_size}) must be >= max_batch_items "
                f"({self.max_batch_items})"
            )
        if self.classify_queue_size < self.max_classify_items:
            raise ValueError(
                f"classify_queue_size ({self.classify_queue_size}) must be >= "
                f"max_classify_items ({self.max_classify_items})"
            )
        return self

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        """An unknown backend stops the server at start, not at the first model load."""
        from stancewire.models.backends.registry import backend_names

        if value not in backend_names():
            raise ValueError(f"unknown backend {value!r}; choose one of {backend_names()}")
        return value

    @property
    def auth_enabled(self) -> bool:
        return self.api_key is not None


def settings_table() -> list[tuple[str, str, str]]:
    """(env var, default, description) for every setting: the README table's source."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "unset" if default is None else str(default)
        rows.append((ENV_PREFIX + name.upper(), shown, field.description or ""))
    return rows
