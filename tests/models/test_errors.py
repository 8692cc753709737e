from __future__ import annotations

import pytest

from stancewire.models.errors import (
    ArticleTooLargeError,
    EmptyArticleError,
    LabellingError,
    StancewireError,
    error_for_code,
)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("SW101", EmptyArticleError),
        ("SW102", ArticleTooLargeError),
        ("SW500", LabellingError),
        ("SW999", StancewireError),
    ],
)
def test_errors_rebuilt_from_code(code: str, cls: type) -> None:
    err = error_for_code(code, "why")
    assert type(err) is cls
    assert str(err).endswith("] why")
