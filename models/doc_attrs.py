"""The attributes stancewire components write on spaCy objects.

Components communicate through ``doc.spans[QUOTES_KEY]`` and ``Span._.sw_*``
extensions, spaCy style, so each stage can be run and tested on its own. The
extensions are registered once, at import time of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

QUOTES_KEY = "sw_quotes"
"""``doc.spans`` key holding the quote spans, in document order."""


@dataclass(frozen=True)
class Speaker:
    """A resolved source of a quote (ANNOTATION.md section 2).

    Attributes:
        name: the fullest form the article uses, titles stripped; for unnamed
            sources, the description as written (``"a senior official"``).
        type: ``person``, ``organization`` or ``unnamed``.
        aliases: other forms the article uses for the same source.
        affiliation: the side the speaker speaks for, when the text says.
    """

    name: str
    type: str = "person"
    aliases: tuple[str, ...] = field(default_factory=tuple)
    affiliation: str | None = None


@dataclass(frozen=True)
class Scored:
    """A predicted label and the calibrated probability of every label."""

    label: str
    probs: dict[str, float]

    @property
    def confidence(self) -> float:
        return self.probs[self.label]


def register_extensions() -> None:
    """Register the ``sw_*`` extensions (idempotent)."""
    span_attrs: dict[str, object] = {
        # "direct" or "indirect"
        "sw_kind": None,
        # the reporting cue (verb, "according to", the attribution clause), if any
        "sw_cue": None,
        # the mention of the source as found near the quote (may be a pronoun)
        "sw_mention": None,
        # the resolved Speaker, or None when the article gives none
        "sw_speaker": None,
        # how the speaker was found ("subject", "apposition", "pronoun", "flow", ...)
        "sw_attribution": None,
        # dict[target name, Scored]
        "sw_stance": None,
        "sw_sentiment": None,
    }
    for name, default in span_attrs.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Doc.has_extension("sw_paragraphs"):
        # list of (start_char, end_char) of paragraphs in doc.text
        Doc.set_extension("sw_paragraphs", default=None)
    if not Doc.has_extension("sw_first_paragraph"):
        # index in the article of the Doc's first paragraph: not 0 when a parse pool
        # parses an article in pieces (stancewire.models.parse_pool)
        Doc.set_extension("sw_first_paragraph", default=0)


register_extensions()
