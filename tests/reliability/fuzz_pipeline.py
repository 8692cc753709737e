"""Fuzz target: hostile articles through cleaning, quote finding and attribution, at length.

Usage::

    .venv/bin/python -m tests.reliability.fuzz_pipeline --seconds 60
    .venv/bin/python -m tests.reliability.fuzz_pipeline --seconds 600 --model DIR  # + classifier

It runs Hypothesis in rounds of fresh random examples drawn from
:mod:`tests.reliability.strategies` until the time is up, checking every
invariant of :mod:`tests.reliability.invariants` (no exception, offsets index
the input, quotes slice back to their text, speakers read off the article). A
failure is shrunk to a minimal input and printed as ``Falsifying example``;
the exit status is then 1. With ``--model`` each input is also labelled end to
end and must give a labelled article or a user error (``SW101``/``SW102``),
never an internal one.

For a coverage-guided fuzzer (atheris, python-afl), ``make_target(nlp)``
returns a Hypothesis test whose ``.hypothesis.fuzz_one_input(data)`` takes
the fuzzer's bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings

from stancewire.models.clean import clean_article
from stancewire.models.schema import Article
from tests.reliability.invariants import analyse, check_clean, check_labelled
from tests.reliability.strategies import hostile_article, without_surrogates


@dataclass
class FuzzStats:
    """What a fuzzing session did."""

    examples: int = 0
    rounds: int = 0
    quotes: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def check_one(raw: str, nlp: Any, pipeline: Any = None) -> int:
    """Every invariant on one input; returns the number of quotes found."""
    check_clean(raw, clean_article(raw))  # cleaning takes any str, lone surrogates too
    text = without_surrogates(raw)  # what a file or an HTTP body can carry
    found = analyse(text, nlp)
    if pipeline is not None:
        (result,) = pipeline.pipe([Article(id="fuzz", text=text)])
        check_labelled(text, result)
    return len(found.quotes)


def make_target(
    nlp: Any,
    pipeline: Any = None,
    stats: FuzzStats | None = None,
    examples: int = 200,
    *,
    derandomize: bool = False,
) -> Callable[..., None]:
    """The Hypothesis test for one round of ``examples`` random inputs."""
    stats = stats if stats is not None else FuzzStats()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_article)
    def target(raw: str) -> None:
        stats.examples += 1
        stats.quotes += check_one(raw, nlp, pipeline)

    return target


def fuzz(
    seconds: float,
    nlp: Any,
    pipeline: Any = None,
    *,
    examples_per_round: int = 200,
    derandomize: bool = False,
) -> FuzzStats:
    """Fuzz for about ``seconds`` (at least one round; the last one finishes)."""
    stats = FuzzStats()
    started = time.monotonic()
    while stats.rounds == 0 or time.monotonic() - started < seconds:
        stats.rounds += 1
        try:
            make_target(nlp, pipeline, stats, examples_per_round, derandomize=derandomize)()
        except Exception as err:  # noqa: BLE001 - reported, then the session ends
            stats.failures.append("".join(traceback.format_exception(err)))
            break
    stats.seconds = time.monotonic() - started
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz")
    parser.add_argument("--model", help="also label end to end with this model directory")
    parser.add_argument("--examples-per-round", type=int, default=200)
    args = parser.parse_args(argv)

    from stancewire.models.components import build_nlp

    pipeline = None
    if args.model:
        from stancewire.models.pipeline import load_pipeline

        pipeline = load_pipeline(args.model)
        nlp = pipeline.nlp
    else:
        nlp = build_nlp()
    stats = fuzz(args.seconds, nlp, pipeline, examples_per_round=args.examples_per_round)
    out = sys.stdout
    for failure in stats.failures:
        out.write(failure + "\n")
    out.write(
        f"fuzzed {stats.examples} inputs in {stats.rounds} round(s), {stats.seconds:.0f} s "
        f"({stats.examples / max(stats.seconds, 1e-9):.1f}/s), {stats.quotes} quotes found; "
        f"{len(stats.failures)} failure(s)\n"
    )
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
