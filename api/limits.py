"""Request body size limit, enforced before any route parses the body.

Why both checks: ``Content-Length`` lets an oversized upload be refused
before a byte of it is read, but chunked uploads have no length and a client
can lie; so the body is also counted as it streams in, and refused as soon as
it passes the limit. Either way the answer is 413 with the limit in the
message, and the route never sees the body.

The body (at most the limit) is buffered and replayed to the app: every route
parses JSON from the whole body anyway.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stancewire.api.errors import MALFORMED, TOO_LARGE, error_response


def _too_large(limit: int, size: int | None = None) -> str:
    seen = f"{size} bytes" if size is not None else "more"
    return f"request body is too large ({seen}); the limit is {limit} bytes"


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 (pure ASGI)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            response = error_response(
                400, MALFORMED, "invalid Content-Length header", field="Content-Length"
            )
            await response(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            response = error_response(
                413, TOO_LARGE, _too_large(self.max_bytes, declared), limit=self.max_bytes
            )
            await response(scope, receive, send)
            return

        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                response = error_response(
                    413, TOO_LARGE, _too_large(self.max_bytes), limit=self.max_bytes
                )
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))

        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    """The declared body length, ``None`` when absent, ``-1`` when unparsable."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None
