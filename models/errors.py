"""Every error stancewire raises on purpose, each with a stable code.

Callers (CLI, API, batch jobs) catch ``StancewireError`` and show its one-line
message; the code lets a user search the docs and lets tests assert on the
kind of failure rather than on wording.
"""

from __future__ import annotations


class StancewireError(Exception):
    """Base class. ``str(err)`` is ``"[SWxxx] message"``."""

    code = "SW000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class InputError(StancewireError):
    """An input file or article cannot be read or is unusable."""

    code = "SW100"


class EmptyArticleError(InputError):
    """The article has no text left after cleaning."""

    code = "SW101"


class ArticleTooLargeError(InputError):
    """The article exceeds the configured size limit."""

    code = "SW102"


class ModelLoadError(StancewireError):
    """A model directory is missing files or does not match this version."""

    code = "SW200"


class ConfigError(StancewireError):
    """A configuration value (targets, backend, settings) is invalid."""

    code = "SW300"


class TrainingDataError(StancewireError):
    """Labelled training data is malformed."""

    code = "SW400"


class LabellingError(StancewireError):
    """An unexpected failure while labelling one article (a bug, reported per article)."""

    code = "SW500"


def error_for_code(code: str, message: str) -> StancewireError:
    """Rebuild the exception for an error code (e.g. from an ``ArticleError`` record)."""
    pending: list[type[StancewireError]] = [StancewireError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls(message)
        pending.extend(cls.__subclasses__())
    return StancewireError(message)
