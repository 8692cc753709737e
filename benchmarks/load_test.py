"""Load test: many concurrent clients against a real ``stancewire serve`` on loopback.

The long form (``python -m benchmarks.load_test``): 64 asyncio clients (httpx)
for 30 s, three runs against the same server process, the bundled model, a
queue smaller than the client count so that the server is overloaded. It
records

- the count of every status: the only 5xx allowed is 503, the overload answer,
  and every 503 must carry ``Retry-After`` (clients honour it, as a good client
  does, then try again);
- transport errors (connection refused or reset, client timeouts): none allowed;
- p50 / p95 / p99 latency of the successful ``/v1/label`` requests;
- the server's memory (RSS of its process tree) after warm-up and after each
  run: growth that stops from run to run means no leak per request (the
  allocators of torch and glibc keep what the busiest moment needed, so the
  first runs grow);
- the load average of the machine before and after, since latency depends on it.

Results go to ``benchmarks/results/load_test.json``. The suite runs the same
:func:`run_load` in a short form (``tests/reliability/test_server_faults.py``).

The traffic is a mix: mostly ``/v1/label`` with ~300-word development
articles, some ``/v1/label/batch`` and ``/v1/classify``, and a few invalid
requests (an empty article, malformed JSON), which must stay 4xx under load.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"

app = typer.Typer(add_completion=False)
console = Console()


@dataclass(frozen=True)
class Call:
    """One request of the mix: method, path and body (JSON value, or raw bytes)."""

    kind: str
    path: str
    body: Any = None
    raw: bytes | None = None


def request_mix(articles: Sequence[str]) -> list[Call]:
    """A deterministic cycle of calls: 16 in 20 label one article, the rest vary."""
    quotes = [
        {"text": "US forces must leave Iraq now", "context": "The cleric said it."},
        {"text": "We will keep our advisers there", "context": "The general said it."},
    ]
    calls: list[Call] = []
    for i, text in enumerate(articles):
        calls.append(Call("label", "/v1/label", {"id": f"load-{i}", "text": text}))
    extra = [
        Call("batch", "/v1/label/batch", {"articles": [{"text": t} for t in articles[:3]]}),
        Call("classify", "/v1/classify", {"quotes": quotes * 4}),
        Call("invalid", "/v1/label", {"text": "   "}),  # empty article: 422
        Call("invalid", "/v1/label", raw=b'{"text": "unterminated'),  # malformed: 422
    ]
    mix: list[Call] = []
    singles = itertools.cycle(calls)
    for k in range(max(20, len(calls))):
        mix.append(extra[(k // 5) % len(extra)] if k % 5 == 4 else next(singles))
    return mix


@dataclass
class LoadResult:
    """What one run saw."""

    seconds: float
    clients: int
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: dict[str, Counter[int]] = field(default_factory=dict)
    missing_retry_after: int = 0
    transport_errors: Counter[str] = field(default_factory=Counter)
    label_ms: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def server_errors(self) -> int:
        """5xx other than 503: must be zero."""
        return sum(n for s, n in self.statuses.items() if s >= 500 and s != 503)

    def summary(self) -> dict[str, Any]:
        lat = np.array(self.label_ms) if self.label_ms else np.array([float("nan")])
        done = sum(self.statuses.values())
        return {
            "clients": self.clients,
            "seconds": round(self.elapsed, 2),
            "responses": done,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "by_kind": {
                k: {str(s): n for s, n in sorted(c.items())}
                for k, c in sorted(self.by_kind.items())
            },
            "server_errors_not_503": self.server_errors,
            "missing_retry_after": self.missing_retry_after,
            "transport_errors": dict(self.transport_errors),
            "label_ok": len(self.label_ms),
            "label_per_s": round(len(self.label_ms) / self.elapsed, 2) if self.elapsed else 0.0,
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "max_ms": round(float(lat.max()), 1),
        }


async def run_load(
    base: str,
    calls: Sequence[Call],
    *,
    clients: int = 64,
    seconds: float = 30.0,
    headers: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> LoadResult:
    """``clients`` concurrent clients send ``calls`` (in turn) for ``seconds``.

    A 503 must carry ``Retry-After``; the client waits that long (at most
    until the end of the run) before its next call, like a well-behaved client.
    """
    result = LoadResult(seconds=seconds, clients=clients)
    order = itertools.cycle(calls)
    stop = time.perf_counter() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop:
            call = next(order)
            t0 = time.perf_counter()
            try:
                if call.raw is not None:
                    r = await http.post(
                        call.path, content=call.raw, headers={"content-type": "application/json"}
                    )
                else:
                    r = await http.post(call.path, json=call.body)
            except httpx.HTTPError as err:
                result.transport_errors[type(err).__name__] += 1
                continue
            ms = (time.perf_counter() - t0) * 1000
            result.statuses[r.status_code] += 1
            result.by_kind.setdefault(call.kind, Counter())[r.status_code] += 1
            if r.status_code == 200 and call.kind == "label":
                result.label_ms.append(ms)
            if r.status_code == 503:
                retry = r.headers.get("retry-after", "")
                if not retry.isdigit():
                    result.missing_retry_after += 1
                    continue
                await asyncio.sleep(max(0.0, min(float(retry), stop - time.perf_counter())))

    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(
        base_url=base, headers=headers or {}, timeout=timeout, limits=limits
    ) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        result.elapsed = time.perf_counter() - t0
    return result


def memory_stable(after_each_run: Sequence[float], *, slack_mb: float = 64.0) -> bool:
    """No run leaves the server more than ``slack_mb`` (or 10%) above where run 1 left it.

    The first run may grow memory (the allocators keep what the busiest moment
    needed); a leak, or fragmentation that is never given back, shows as growth
    on every later run.
    """
    if len(after_each_run) < 2:
        return True
    first = after_each_run[0]
    return max(after_each_run[1:]) - first <= max(slack_mb, 0.1 * first)


def settle_rss_mb(pid: int, seconds: float = 2.0) -> float:
    """The server tree's RSS after the queue has drained (sampled after ``seconds``)."""
    import psutil

    from benchmarks.procs import tree_rss

    time.sleep(seconds)
    return round(tree_rss(psutil.Process(pid)) / 2**20, 1)


def run(
    *,
    clients: int = 64,
    seconds: float = 30.0,
    runs: int = 3,
    model: str | None = None,
    queue_size: int = 32,
    max_batch: int = 8,
    words: int = 300,
) -> dict[str, Any]:
    """Start a server, warm it up, run the load ``runs`` times; the results as a dict."""
    from benchmarks.api_latency import start_server
    from benchmarks.corpus import sized_articles

    env = {
        "STANCEWIRE_QUEUE_SIZE": str(queue_size),
        "STANCEWIRE_MAX_BATCH_ITEMS": str(min(32, queue_size)),
        "STANCEWIRE_MAX_BATCH": str(max_batch),
        "STANCEWIRE_RETRY_AFTER_S": "1",
    }
    extra = ["--model", model] if model else []
    load_before = os.getloadavg()
    proc, base = start_server(env, extra_args=extra)
    try:
        calls = request_mix(sized_articles(words))
        with httpx.Client(base_url=base, timeout=120) as http:  # warm-up: every kind once
            for call in {c.kind: c for c in calls}.values():
                if call.raw is None:
                    http.post(call.path, json=call.body)
        rss = [settle_rss_mb(proc.pid, 1.0)]
        per_run = []
        for k in range(runs):
            res = asyncio.run(run_load(base, calls, clients=clients, seconds=seconds))
            rss.append(settle_rss_mb(proc.pid))
            per_run.append(res.summary())
            console.print(f"run {k + 1}/{runs}: {per_run[-1]}")
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    load_after = os.getloadavg()
    from benchmarks.__main__ import machine

    return {
        "machine": machine(),
        "config": {
            "clients": clients,
            "seconds": seconds,
            "runs": runs,
            "model": model or "bundled",
            "queue_size": queue_size,
            "max_batch": max_batch,
            "article_words": words,
        },
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "runs": per_run,
        "rss_mb": {"after_warmup": rss[0], "after_each_run": rss[1:]},
        "rss_growth_mb_run1_to_last": round(rss[-1] - rss[1], 1) if runs else 0.0,
        "rss_growth_mb_last_run": round(rss[-1] - rss[-2], 1) if runs > 1 else None,
        "server_alive_after": alive,
        "memory_stable": memory_stable(rss[1:]),
        "ok": alive
        and memory_stable(rss[1:])
        and all(
            r["server_errors_not_503"] == 0
            and r["missing_retry_after"] == 0
            and not r["transport_errors"]
            for r in per_run
        ),
    }


def table(res: dict[str, Any]) -> Table:
    t = Table(title=f"load test: {res['config']['clients']} clients x {res['config']['seconds']} s")
    for col in ("run", "responses", "statuses", "label/s", "p50 ms", "p95 ms", "p99 ms", "RSS MB"):
        t.add_column(col)
    for k, (r, rss) in enumerate(zip(res["runs"], res["rss_mb"]["after_each_run"], strict=True)):
        t.add_row(
            str(k + 1),
            str(r["responses"]),
            " ".join(f"{s}:{n}" for s, n in r["statuses"].items()),
            f"{r['label_per_s']:.1f}",
            f"{r['p50_ms']:.0f}",
            f"{r['p95_ms']:.0f}",
            f"{r['p99_ms']:.0f}",
            f"{rss:.0f}",
        )
    return t


@app.command()
def main(
    clients: Annotated[int, typer.Option(help="Concurrent clients.")] = 64,
    seconds: Annotated[float, typer.Option(help="Seconds per run.")] = 30.0,
    runs: Annotated[int, typer.Option(help="Runs against the same server.")] = 3,
    model: Annotated[str | None, typer.Option(help="Model dir (default: bundled).")] = None,
    queue_size: Annotated[int, typer.Option(help="STANCEWIRE_QUEUE_SIZE.")] = 32,
    max_batch: Annotated[int, typer.Option(help="STANCEWIRE_MAX_BATCH.")] = 8,
    out: Annotated[Path, typer.Option(help="Results file.")] = RESULTS / "load_test.json",
) -> None:
    """Run the load test and write its results; exit 1 if a criterion failed."""
    res = run(
        clients=clients,
        seconds=seconds,
        runs=runs,
        model=model,
        queue_size=queue_size,
        max_batch=max_batch,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n", "utf-8")
    console.print(table(res))
    console.print(
        f"RSS after warm-up {res['rss_mb']['after_warmup']} MB, after runs "
        f"{res['rss_mb']['after_each_run']} MB; load average before {res['loadavg_before']}, "
        f"after {res['loadavg_after']}; written to {out}"
    )
    if not res["ok"]:
        console.print("[red]a load-test criterion failed[/]")
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
