"""The data contract of docs/ANNOTATION.md section 6, as pydantic models.

Everything that crosses an edge (files, CLI, HTTP, the scorer) is one of these
types. Labels are ``Literal`` types so that validation and OpenAPI enums come
for free. Inside the pipeline, data travels on the spaCy ``Doc`` instead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

QuoteKind = Literal["direct", "indirect"]
SpeakerType = Literal["person", "organization", "unnamed"]
StanceLabel = Literal["favor", "against", "none"]
SpeakerStanceLabel = Literal["favor", "against", "mixed", "none"]
SentimentLabel = Literal["positive", "negative", "neutral"]

STANCE_LABELS: tuple[str, ...] = ("favor", "against", "none")
SENTIMENT_LABELS: tuple[str, ...] = ("positive", "negative", "neutral")


def task_label_order(task: str) -> tuple[str, ...]:
    """The labels of a task, in head and confusion-matrix order: ``sentiment``
    has the sentiment labels, every other task is a stance target."""
    return SENTIMENT_LABELS if task == "sentiment" else STANCE_LABELS


class Article(BaseModel):
    """One input article: the text exactly as given (plain text or HTML)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    text: str
    source: str | None = None


class Quote(BaseModel):
    """One attributed statement with its labels (ANNOTATION.md sections 1-4).

    ``start``/``end`` are character offsets into the article text as given, so
    that ``article.text[start:end]`` is the quote (for HTML input, the slice
    may contain markup where the quote crosses a tag). ``confidence`` holds the
    calibrated probability of each predicted label: keys are the target names
    and ``sentiment``.
    """

    model_config = ConfigDict(extra="ignore")

    text: str
    kind: QuoteKind
    speaker: str | None = None
    speaker_aliases: list[str] = Field(default_factory=list)
    speaker_type: SpeakerType | None = None
    affiliation: str | None = None
    stance: dict[str, StanceLabel] = Field(default_factory=dict)
    sentiment: SentimentLabel = "neutral"
    start: int | None = None
    end: int | None = None
    confidence: dict[str, float] | None = None


class SpeakerStance(BaseModel):
    """A speaker's roll-up over their quotes in one article (ANNOTATION.md section 5).

    ``quotes`` lists indices into the article's ``quotes``; ``evidence`` maps
    each target to the indices of the quotes that carry a non-``none`` stance
    toward it, i.e. the quotes behind the rolled-up label.
    """

    speaker: str
    speaker_aliases: list[str] = Field(default_factory=list)
    speaker_type: SpeakerType | None = None
    affiliation: str | None = None
    n_quotes: int
    quotes: list[int]
    stance: dict[str, SpeakerStanceLabel]
    evidence: dict[str, list[int]]


class LabelledArticle(BaseModel):
    """One output line: the article, its quotes, and its per-speaker roll-up."""

    id: str
    source: str | None = None
    text: str
    quotes: list[Quote]
    speakers: list[SpeakerStance] = Field(default_factory=list)
    model: str | None = None


class ArticleError(BaseModel):
    """An article that could not be labelled; batch jobs record it and go on."""

    id: str
    source: str | None = None
    code: str
    message: str
