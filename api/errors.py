"""HTTP errors: one JSON shape everywhere, stable codes, never a stack trace.

Every error response is ``{"error": {"code", "message", ...}}``
(:class:`~stancewire.api.schemas.ErrorResponse`). Codes reuse
:mod:`stancewire.models.errors` where the failure is the library's
(``SW100`` malformed input, ``SW101`` empty article, ``SW102`` article too
large, ``SW300`` unknown target, ``SW500`` a bug); the ``SW9xx`` codes below
are failures of the HTTP layer itself.

Why handlers for Starlette's ``HTTPException`` too: 404 and 405 come from the
router, not from our code, and must look like every other error.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stancewire.api.schemas import ErrorDetail, ErrorResponse, FieldProblem, friendly_message
from stancewire.models.errors import InputError, LabellingError, StancewireError

logger = logging.getLogger("stancewire.api")

UNAUTHORIZED = "SW901"
NOT_FOUND = "SW902"
METHOD_NOT_ALLOWED = "SW903"
TOO_LARGE = "SW904"
OVERLOADED = "SW905"
TIMED_OUT = "SW906"
NOT_READY = "SW907"
MALFORMED = InputError.code
INTERNAL = LabellingError.code

HTTP_CODES: dict[str, tuple[int, str]] = {
    MALFORMED: (422, "malformed request: invalid JSON, a missing field or a wrong type"),
    "SW101": (422, "the article has no text after cleaning"),
    "SW102": (413, "the article is longer than STANCEWIRE_MAX_ARTICLE_CHARS"),
    "SW300": (422, "an unknown target was asked for"),
    INTERNAL: (500, "an internal error (a bug); the server log has the details"),
    UNAUTHORIZED: (401, "missing or wrong API key"),
    NOT_FOUND: (404, "no such route (or no evaluation report to serve)"),
    METHOD_NOT_ALLOWED: (405, "the route exists but not for this method"),
    TOO_LARGE: (413, "request body or item count over its limit"),
    OVERLOADED: (503, "the work queue is full; retry after Retry-After seconds"),
    TIMED_OUT: (504, "the request did not finish within STANCEWIRE_REQUEST_TIMEOUT_S"),
    NOT_READY: (503, "the model is not loaded (yet, or it failed to load)"),
}
"""Code -> (HTTP status, meaning): the README's error table."""

STATUS_FOR_LIBRARY_CODE = {"SW101": 422, "SW102": 413, "SW300": 422}


class ApiError(Exception):
    """An error with an HTTP status and a stable code, raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        limit: int | None = None,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = ErrorDetail(
            code=code, message=message, field=field, limit=limit, errors=errors
        )
        self.headers = headers


def status_for(err: StancewireError) -> int:
    """The HTTP status a library error maps to (413 too large, 422 bad input, else 500)."""
    return STATUS_FOR_LIBRARY_CODE.get(err.code, 500)


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The JSON error response; ``extra`` fills ``field`` / ``limit`` / ``errors``."""
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, **extra))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        ErrorResponse(error=exc.detail).model_dump(exclude_none=True),
        status_code=exc.status,
        headers=exc.headers,
    )


def _describe_validation(exc: RequestValidationError) -> tuple[str, str, list[FieldProblem]]:
    """(message, field, problems) for FastAPI's validation error, JSON errors included."""
    problems: list[FieldProblem] = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[1:]
        if e.get("type") == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "invalid JSON")
            problems.append(FieldProblem(field="body", message=f"malformed JSON: {reason}"))
            continue
        message = friendly_message(e, at_root=not loc)
        problems.append(FieldProblem(field=".".join(loc) or "body", message=message))
    if not problems:
        return "malformed request", "body", problems
    first = problems[0]
    message = first.message if first.field == "body" else f"{first.field}: {first.message}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s))"
    return message, first.field, problems


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    message, field, problems = _describe_validation(exc)
    return error_response(422, MALFORMED, message, field=field, errors=problems)


_HTTP_STATUS_CODES = {401: UNAUTHORIZED, 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED, 413: TOO_LARGE}


def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (e.g. bytes that are not UTF-8):
        # for the caller it is malformed JSON like any other, so 422 naming the body.
        message = "malformed JSON: the body is not valid UTF-8 JSON"
        problem = FieldProblem(field="body", message=message)
        return error_response(422, MALFORMED, message, field="body", errors=[problem])
    code = _HTTP_STATUS_CODES.get(exc.status_code, MALFORMED if exc.status_code < 500 else INTERNAL)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = "no such route; see /docs for the API"
    elif exc.status_code == 405:
        message = "method not allowed on this route"
    return error_response(exc.status_code, code, message, headers=exc.headers)


def _library_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StancewireError)
    status = status_for(exc)
    if status >= 500:
        logger.error("library error in request: %s", exc, exc_info=exc)
        return error_response(500, INTERNAL, "internal error while labelling")
    return error_response(status, exc.code, exc.message)


def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    """The catch-all: log everything, tell the caller nothing internal."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL, "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StancewireError, _library_error)
    app.add_exception_handler(Exception, _unhandled)
