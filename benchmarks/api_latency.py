"""HTTP API latency and throughput on loopback, with and without micro-batching.

A real ``stancewire serve`` process per configuration; an asyncio client
(httpx) keeps ``concurrency`` requests in flight for ``seconds``, each posting
one ~800-word article to ``POST /v1/label``. The requests take the benchmark
corpus's distinct articles in turn (20 of them, 8 to 34 quotes each, 25 on
average), so the percentiles are over the mix of news the batch figures use,
not over one article's cost. Latency percentiles are over all completed
requests; throughput is completed requests per second; the server's peak
memory is sampled throughout.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np

from benchmarks.corpus import iter_corpus
from benchmarks.procs import Sampler

CONCURRENCY = (1, 8, 32)
MODES = {
    "micro-batched": {"STANCEWIRE_MAX_BATCH": "8"},
    "unbatched": {"STANCEWIRE_MAX_BATCH": "1"},
    # the same server on the fast backend: the model stage is most of a request's time
    "micro-batched, onnx int8": {"STANCEWIRE_MAX_BATCH": "8", "STANCEWIRE_BACKEND": "onnx"},
    # each article's parse cut into pieces over 2 helper processes (ParsePool): the parse
    # is most of what is left, and in-process it runs on one core
    "micro-batched, parse pool 2": {"STANCEWIRE_MAX_BATCH": "8", "STANCEWIRE_PARSE_PROCESSES": "2"},
    "micro-batched, onnx int8, parse pool 2": {
        "STANCEWIRE_MAX_BATCH": "8",
        "STANCEWIRE_BACKEND": "onnx",
        "STANCEWIRE_PARSE_PROCESSES": "2",
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    env_extra: dict[str, str], *, extra_args: list[str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``stancewire serve`` on a free loopback port and wait until it is ready."""
    port = free_port()
    env = os.environ | {"STANCEWIRE_LOG_LEVEL": "warning", "STANCEWIRE_QUEUE_SIZE": "256"}
    env |= env_extra
    proc = subprocess.Popen(
        [sys.executable, "-m", "stancewire", "serve", "--port", str(port), *(extra_args or [])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.kill()
    raise RuntimeError("server did not become ready in 120 s")


async def _load(
    base: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    seconds: float,
    sampler: Sampler,
    route: str = "/v1/label",
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    turn = itertools.cycle(bodies)  # each request takes the next body (one event loop)

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop:
            body = next(turn)
            t0 = time.perf_counter()
            r = await http.post(base + route, json=body)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            if r.status_code == 200:
                latencies.append(time.perf_counter() - t0)

    async def sample() -> None:
        while time.perf_counter() < stop:
            sampler.sample()
            await asyncio.sleep(0.1)

    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        t0 = time.perf_counter()
        await asyncio.gather(sample(), *(client(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    lat = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "throughput_rps": len(latencies) / elapsed,
        "p50_ms": float(np.percentile(lat, 50)),
        "p95_ms": float(np.percentile(lat, 95)),
        "p99_ms": float(np.percentile(lat, 99)),
    }


QUOTE = {
    "quotes": [
        {
            "id": "q1",
            "text": "the American forces must leave our country without delay",
            "context": "A senior lawmaker said the American forces must leave our country "
            "without delay, and that the factions should hand their weapons to the state.",
        }
    ]
}


def run(
    seconds: float = 20.0,
    concurrency: tuple[int, ...] = CONCURRENCY,
    route: str = "/v1/label",
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Latency and throughput at each concurrency, per server mode, plus peak memory.

    ``route`` is ``/v1/label`` (one ~800-word article per request, the corpus's
    distinct articles in turn) or ``/v1/classify`` (one quote per request: the
    model stage alone). ``only`` runs just the named modes.
    """
    if route == "/v1/classify":
        bodies: list[dict[str, Any]] = [QUOTE]
        modes = {
            "micro-batched": {"STANCEWIRE_MAX_BATCH_QUOTES": "64"},
            "unbatched": {"STANCEWIRE_MAX_BATCH_QUOTES": "1"},
        }
    else:
        bodies = list(iter_corpus())  # each distinct article once, posted in turn
        modes = MODES
    if only:
        unknown = set(only) - set(modes)
        if unknown:
            raise ValueError(f"unknown mode(s) {sorted(unknown)}; known: {list(modes)}")
        modes = {k: v for k, v in modes.items() if k in only}
    results: dict[str, Any] = {
        "seconds_per_level": seconds,
        "route": route,
        "distinct_bodies": len(bodies),
        "modes": {},
    }
    for mode, env in modes.items():
        proc, base = start_server(env)
        try:
            sampler = Sampler(proc.pid)
            httpx.post(base + route, json=bodies[0], timeout=120)  # warm up
            levels = {}
            for c in concurrency:
                levels[str(c)] = asyncio.run(_load(base, bodies, c, seconds, sampler, route))
            results["modes"][mode] = {"levels": levels, "peak_rss_mb": sampler.peak_mb}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return results


if __name__ == "__main__":
    import json

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    route = sys.argv[2] if len(sys.argv) > 2 else "/v1/label"
    sys.stdout.write(json.dumps(run(seconds, route=route, only=sys.argv[3:]), indent=2))
