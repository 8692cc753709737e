"""The Ray Data engine gives the very records of the local engine (local Ray, 2 CPUs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.batch.runner import BatchJob, LocalEngine, run_batch
from stancewire.models.batch.worker import PipelineSpec
from tests.models.test_batch_runner import MAX_CHARS, build_mixed_corpus

pytest.importorskip("ray")


@pytest.mark.slow
def test_ray_engine_equals_local_engine(tiny_model_dir: Path, tmp_path: Path) -> None:
    from stancewire.models.pipeline import load_pipeline

    inputs, expected_ok, expected_errors = build_mixed_corpus(tmp_path / "corpus")
    spec = PipelineSpec(model_dir=str(tiny_model_dir), max_chars=MAX_CHARS)

    local = BatchJob(inputs=inputs, output=tmp_path / "local.jsonl", spec=spec, chunk_size=4)
    pipeline = load_pipeline(tiny_model_dir, max_chars=MAX_CHARS)
    run_batch(local, engine=LocalEngine(spec, pipeline=pipeline))

    from ray.data import DataContext

    ctx = DataContext.get_current()
    before = (ctx.execution_options.preserve_order, ctx.enable_progress_bars)
    ray_job = BatchJob(
        inputs=inputs,
        output=tmp_path / "ray.jsonl",
        spec=spec,
        chunk_size=4,
        engine="ray",
        workers=2,
    )
    summary = run_batch(ray_job)
    assert (summary.labelled, summary.failed) == (len(expected_ok), len(expected_errors))
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "ray.errors.jsonl").read_bytes() == (
        tmp_path / "local.errors.jsonl"
    ).read_bytes()

    import ray
    from ray.data import DataContext

    assert not ray.is_initialized()  # the engine shut down the Ray it started
    ctx = DataContext.get_current()  # and put Ray Data's settings back
    assert (ctx.execution_options.preserve_order, ctx.enable_progress_bars) == before
