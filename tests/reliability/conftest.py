"""Fixtures of the reliability tests: the tiny-model pipeline, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.pipeline import StancePipeline, load_pipeline


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_model_dir: Path) -> StancePipeline:
    """The full pipeline on the tiny model; the default 200,000-character limit."""
    return load_pipeline(tiny_model_dir, batch_size=4)
