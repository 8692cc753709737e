"""Scoring of predicted quotes against gold quotes (docs/ANNOTATION.md section 7).

The scorer is deliberately a pure library with no model dependency: CI, the CLI
and training reports must all compute the very same numbers from two JSON Lines
files (or two lists of article dicts), and an evaluation that silently changes
when a model package changes is worse than none.

Decisions that section 7 leaves open, and how this module settles them:

* **Tokens.** ``tokens`` lowercases and keeps maximal runs of Unicode letters
  and digits (``[^\\W_]+``); punctuation, quotation marks and underscores are
  separators. Overlap is a multiset intersection, so a repeated word counts as
  often as it occurs on both sides.
* **Thresholds.** A pair matches when the shared tokens cover at least 60% of the
  gold tokens *and* at least 30% of the predicted tokens (both inclusive, with a
  tiny epsilon so that ``6/10`` is never lost to floating point). A quote with no
  tokens matches nothing.
* **One-to-one assignment.** Candidate pairs are taken greedily in decreasing
  order of their overlap score (the F1, i.e. harmonic mean, of the two
  coverages, equal to ``2 * shared / (len(gold) + len(pred))``). Ties are broken
  first in favour of a pair whose speakers match (so two identical reported
  sentences by two different speakers pair up with the right speakers whatever
  the output order), then by gold index, then by predicted index.
* **Repeats.** Before matching, a prediction is dropped when an earlier
  prediction of the same article has the same normalised speaker
  (``normalize_name``; no speaker normalises to the empty name) and the same
  token sequence. Dropped predictions count nowhere (not in ``n_pred``); they
  appear in ``ScoreResult.matches`` with status ``"duplicate"``.
* **Articles.** Articles are paired by ``id``. A gold article with no prediction
  has all its quotes missed; a predicted article with no gold counterpart is
  ignored (there is nothing to compare it with). Duplicate ids are an error.
* **Zero division.** Every ratio with an empty denominator is 0.0, the same
  convention as scikit-learn's ``zero_division=0``.
* **Per-class F1.** Stance and sentiment F1 follow
  ``sklearn.metrics.f1_score(labels=[...], average=None, zero_division=0)``:
  a class absent from both gold and predictions has F1 = 0, not 1. So
  ``*_favg`` is 0.5 when, say, ``favor`` is predicted perfectly and ``against``
  occurs nowhere. This keeps the measure comparable to SemEval-2016 Task 6 and
  never rewards a test set for lacking a class.
* **Missing labels.** A missing stance target reads as ``none`` and a missing
  sentiment as ``neutral`` (the defaults of ``models/schema.py``).
* **Speaker-level stance.** See ``speaker_stance`` for how predicted speakers are
  aligned with gold speakers and how unaligned speakers count as errors.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.metrics import f1_score

from stancewire.models.schema import SENTIMENT_LABELS, STANCE_LABELS

__all__ = [
    "GOLD_COVERAGE",
    "METRIC_NAMES",
    "PRED_COVERAGE",
    "SENTIMENT_LABELS",
    "STANCE_LABELS",
    "TARGETS",
    "TITLES",
    "MatchRecord",
    "ScoreResult",
    "f_avg",
    "match_article",
    "names_match",
    "normalize_name",
    "rollup",
    "score",
    "score_files",
    "score_labels",
    "speaker_stance",
    "tokens",
]

GOLD_COVERAGE = 0.60
"""Minimum share of the gold quote's tokens that a matching prediction shares."""
PRED_COVERAGE = 0.30
"""Minimum share of the predicted quote's tokens that are shared with the gold."""
_EPS = 1e-9

TARGETS: tuple[str, ...] = ("us_presence", "militias")
SPEAKER_TYPES: tuple[str, ...] = ("person", "organization", "unnamed")
KINDS: tuple[str, ...] = ("direct", "indirect")
METRIC_NAMES: tuple[str, ...] = (
    "quote_p",
    "quote_r",
    "quote_f1",
    "recall_direct",
    "recall_indirect",
    "attribution_acc",
    "unresolved_rate",
    "us_presence_favg",
    "us_presence_macro3",
    "militias_favg",
    "militias_macro3",
    "sentiment_macro",
    "speaker_stance_favg",
)
"""The headline metric names of ANNOTATION.md section 7, in report order."""
MISSING = "missing"
"""Predicted speaker-level label of a gold speaker that no predicted speaker aligns with."""

_TOKEN_RE = re.compile(r"[^\W_]+")

# Titles and roles that may precede a name. Multi-word entries are matched as
# whole token sequences (after ``tokens``), the longest first.
TITLES: tuple[str, ...] = (
    "president",
    "vice president",
    "prime minister",
    "deputy prime minister",
    "minister",
    "foreign minister",
    "defense minister",
    "defence minister",
    "interior minister",
    "minister of foreign affairs",
    "minister of defense",
    "minister of defence",
    "minister of interior",
    "minister of the interior",
    "secretary",
    "secretary of state",
    "secretary of defense",
    "secretary of defence",
    "defense secretary",
    "defence secretary",
    "press secretary",
    "secretary general",
    "secretary-general",
    "gen",
    "general",
    "lieutenant general",
    "major general",
    "brigadier general",
    "lt",
    "lieutenant",
    "maj",
    "major",
    "col",
    "colonel",
    "brig",
    "brigadier",
    "adm",
    "admiral",
    "capt",
    "captain",
    "cmdr",
    "commander",
    "sgt",
    "sergeant",
    "sheikh",
    "shaikh",
    "sheik",
    "dr",
    "doctor",
    "prof",
    "professor",
    "mr",
    "mrs",
    "ms",
    "miss",
    "sir",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "sen",
    "senator",
    "rep",
    "representative",
    "congressman",
    "congresswoman",
    "lawmaker",
    "mp",
    "ayatollah",
    "grand ayatollah",
    "sayyed",
    "sayyid",
    "sayed",
    "seyed",
    "hojatoleslam",
    "imam",
    "cleric",
    "king",
    "queen",
    "prince",
    "crown prince",
    "emir",
    "amir",
    "ambassador",
    "envoy",
    "special envoy",
    "governor",
    "mayor",
    "director",
    "chairman",
    "chairwoman",
    "pm",
    "fm",
)
_TITLE_SEQS: tuple[tuple[str, ...], ...] = tuple(
    sorted({tuple(_TOKEN_RE.findall(t)) for t in TITLES}, key=len, reverse=True)
)
_ARTICLE_PREFIXES = frozenset({"al", "el"})
_DETERMINERS = frozenset({"the", "a", "an"})

Status = Literal["matched", "missed", "spurious", "duplicate"]


# --------------------------------------------------------------------------- text


def tokens(text: str | None) -> list[str]:
    """Split text into the lowercase word tokens that section 7 compares.

    Letters and digits of any script count, so that Arabic names or accented
    Latin survive; everything else (punctuation, curly quotes, ``_``) separates.

    Args:
        text: Any string; ``None`` reads as empty.

    Returns:
        The tokens in text order.
    """
    if not text:
        return []
    return _TOKEN_RE.findall(text.lower())


def normalize_name(name: str | None) -> tuple[str, ...]:
    """Reduce a speaker name to the tokens that name comparison uses.

    Steps: ``tokens`` (which lowercases and splits ``al-sudani`` into
    ``al``/``sudani``); drop the Arabic article ``al``/``el`` wherever it stands
    (as a hyphenated prefix or alone), so that ``al-Sudani``, ``Al Sudani`` and
    ``Sudani`` agree; drop a leading ``the``/``a``/``an``; then drop everything up
    to and including the last title (``TITLES``) that is followed by more
    tokens, which removes both the title and whatever qualifies it
    (``Iraqi Prime Minister Mohammed Shia al-Sudani`` -> ``mohammed shia sudani``,
    ``Kataib Hezbollah spokesman Jaafar al-Husseini`` -> ``jaafar husseini``).
    A title with nothing after it is kept, because then it is the name
    (``a spokesman``). If the steps leave nothing, the determiner-free tokens
    are returned instead, so ``Al`` or ``The President`` still compare as written.

    Args:
        name: A speaker name as written; ``None`` reads as empty.

    Returns:
        The normalised tokens, empty only for an empty or token-less name.
    """
    toks = tokens(name)
    while toks and toks[0] in _DETERMINERS:
        toks = toks[1:]
    fallback = tuple(toks)
    toks = [t for t in toks if t not in _ARTICLE_PREFIXES]
    while toks and toks[0] in _DETERMINERS:
        toks = toks[1:]
    cut = 0
    for i in range(len(toks)):
        for seq in _TITLE_SEQS:
            end = i + len(seq)
            if end < len(toks) and tuple(toks[i:end]) == seq:
                cut = max(cut, end)
                break
    result = tuple(toks[cut:])
    return result or fallback


def _is_suffix(short: Sequence[str], long: Sequence[str]) -> bool:
    return 0 < len(short) <= len(long) and tuple(long[len(long) - len(short) :]) == tuple(short)


def names_match(pred: str | None, gold: str | None, gold_aliases: Iterable[str] = ()) -> bool:
    """Decide whether a predicted speaker name designates the gold speaker.

    Section 7: after ``normalize_name``, the names match when one token list ends
    the other (``sudani`` ~ ``mohammed shia sudani``; but ``mohammed`` does not
    match it, since a first name alone is ambiguous), or when the prediction
    equals one of the gold speaker's aliases (normalised the same way), which
    catches forms that share no suffix (``Washington`` for ``US``).

    Args:
        pred: The predicted speaker; ``None`` or empty never matches, since an
            unresolved quote must not earn attribution credit.
        gold: The gold speaker.
        gold_aliases: The gold ``speaker_aliases``.

    Returns:
        Whether the names match.
    """
    p = normalize_name(pred)
    if not p:
        return False
    g = normalize_name(gold)
    if g and (_is_suffix(p, g) or _is_suffix(g, p)):
        return True
    return any(p == normalize_name(a) for a in gold_aliases if a)


def _name_affinity(pred: str | None, gold: str | None, gold_aliases: Iterable[str]) -> int:
    """Rank how specifically a predicted name designates a gold speaker (0: not at all)."""
    if not names_match(pred, gold, gold_aliases):
        return 0
    p, g = normalize_name(pred), normalize_name(gold)
    if p == g:
        return 1000
    if any(p == normalize_name(a) for a in gold_aliases if a):
        return 999
    return min(len(p), len(g))


# --------------------------------------------------------------------------- data access


def _as_dict(obj: Any) -> dict[str, Any]:
    """Accept plain dicts and pydantic models (``models/schema.py``) alike."""
    if isinstance(obj, Mapping):
        return dict(obj)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump()
    raise TypeError(f"expected a mapping or a pydantic model, got {type(obj).__name__}")


def _quotes(article: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [_as_dict(q) for q in (article.get("quotes") or [])]


def _stance(quote: Mapping[str, Any], target: str) -> str:
    stance = quote.get("stance") or {}
    return stance.get(target) or "none"


def _sentiment(quote: Mapping[str, Any]) -> str:
    return quote.get("sentiment") or "neutral"


def _labels(quote: Mapping[str, Any] | None) -> dict[str, str]:
    if quote is None:
        return {}
    out = {t: _stance(quote, t) for t in TARGETS}
    out["sentiment"] = _sentiment(quote)
    return out


def _has_speaker(quote: Mapping[str, Any]) -> bool:
    speaker = quote.get("speaker")
    return bool(speaker and str(speaker).strip())


def affiliation_key(affiliation: object) -> str:
    """An affiliation compared loosely: case, ``U.S.``/``US`` and a leading ``the`` aside.

    Why: affiliation is free text (ANNOTATION.md section 2) and is not scored by
    section 7, but the stance model reads it, so ``affiliation_acc`` tracks how
    often the attributor writes the side the gold writes.
    """
    if not isinstance(affiliation, str):
        return ""
    text = re.sub(r"\bu\.s\.?(?=\s|$)", "us", affiliation.lower().strip())
    return re.sub(r"^the\s+", "", text)


def _speaker_ok(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    return names_match(pred.get("speaker"), gold.get("speaker"), gold.get("speaker_aliases") or ())


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# --------------------------------------------------------------------------- results


@dataclass
class MatchRecord:
    """One line of the alignment, for error reports.

    Attributes:
        article_id: The article ``id``.
        status: ``matched`` (both indices set), ``missed`` (gold only),
            ``spurious`` (prediction only, counted in ``n_pred``) or
            ``duplicate`` (prediction dropped as a repeat, counted nowhere).
        gold_index: Index into the gold article's ``quotes``, or ``None``.
        pred_index: Index into the predicted article's ``quotes`` as given
            (before repeats are dropped), or ``None``.
        overlap: The pair's overlap score (F1 of the two coverages); 0.0 if unmatched.
        gold_coverage: Share of gold tokens shared; 0.0 if unmatched.
        pred_coverage: Share of predicted tokens shared; 0.0 if unmatched.
        speaker_ok: Whether the speakers match (``names_match``); ``None`` unless matched.
        gold_text: The gold quote text, or ``None``.
        pred_text: The predicted quote text, or ``None``.
        gold_speaker: The gold speaker, or ``None``.
        pred_speaker: The predicted speaker, or ``None``.
        gold_kind: The gold ``kind``, or ``None``.
        pred_kind: The predicted ``kind``, or ``None``.
        gold_labels: ``{target: stance, ..., "sentiment": sentiment}`` of the gold quote.
        pred_labels: The same for the prediction.
    """

    article_id: str
    status: Status
    gold_index: int | None
    pred_index: int | None
    overlap: float = 0.0
    gold_coverage: float = 0.0
    pred_coverage: float = 0.0
    speaker_ok: bool | None = None
    gold_text: str | None = None
    pred_text: str | None = None
    gold_speaker: str | None = None
    pred_speaker: str | None = None
    gold_kind: str | None = None
    pred_kind: str | None = None
    gold_labels: dict[str, str] = field(default_factory=dict)
    pred_labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-serialisable dict."""
        return asdict(self)


@dataclass
class ScoreResult:
    """What ``score`` returns.

    Attributes:
        metrics: Metric name -> value; the section 7 names (``METRIC_NAMES``,
            first) plus counts and breakdowns (see ``score``).
        matches: The full alignment, one record per gold quote and per
            prediction (matched pairs share one record), in article order.
    """

    metrics: dict[str, float | int]
    matches: list[MatchRecord]


# --------------------------------------------------------------------------- matching


def _overlap(gold_toks: Sequence[str], pred_toks: Sequence[str]) -> tuple[float, float, float]:
    """Return (gold coverage, pred coverage, F1 of both) of two token lists."""
    if not gold_toks or not pred_toks:
        return 0.0, 0.0, 0.0
    shared = sum((Counter(gold_toks) & Counter(pred_toks)).values())
    gcov = shared / len(gold_toks)
    pcov = shared / len(pred_toks)
    return gcov, pcov, 2 * shared / (len(gold_toks) + len(pred_toks))


def _dedupe(pred_quotes: Sequence[Mapping[str, Any]]) -> tuple[list[int], list[int]]:
    """Split prediction indices into (kept, dropped as repeats of an earlier one)."""
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    kept: list[int] = []
    dropped: list[int] = []
    for i, q in enumerate(pred_quotes):
        key = (normalize_name(q.get("speaker")), tuple(tokens(q.get("text"))))
        if key in seen:
            dropped.append(i)
        else:
            seen.add(key)
            kept.append(i)
    return kept, dropped


def match_article(
    gold_quotes: Sequence[Mapping[str, Any]],
    pred_quotes: Sequence[Mapping[str, Any]],
) -> tuple[list[tuple[int, int, float, float, float]], list[int]]:
    """Align the quotes of one article, one-to-one, best overlap first.

    Args:
        gold_quotes: The gold article's quotes.
        pred_quotes: The predicted article's quotes, repeats included.

    Returns:
        ``(pairs, dropped)``: ``pairs`` holds ``(gold index, pred index, overlap,
        gold coverage, pred coverage)`` for every match, in the order they were
        taken; ``dropped`` the indices of predictions removed as repeats.
    """
    kept, dropped = _dedupe(pred_quotes)
    gold_toks = [tokens(q.get("text")) for q in gold_quotes]
    pred_toks = {pi: tokens(pred_quotes[pi].get("text")) for pi in kept}
    candidates: list[tuple[float, int, int, int, float, float]] = []
    for gi, gt in enumerate(gold_toks):
        for pi in kept:
            gcov, pcov, ov = _overlap(gt, pred_toks[pi])
            if gcov + _EPS >= GOLD_COVERAGE and pcov + _EPS >= PRED_COVERAGE:
                spk = 0 if _speaker_ok(pred_quotes[pi], gold_quotes[gi]) else 1
                candidates.append((-ov, spk, gi, pi, gcov, pcov))
    candidates.sort(key=lambda c: (round(c[0], 12), c[1], c[2], c[3]))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs: list[tuple[int, int, float, float, float]] = []
    for neg_ov, _spk, gi, pi, gcov, pcov in candidates:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        pairs.append((gi, pi, -neg_ov, gcov, pcov))
    return pairs, dropped


# --------------------------------------------------------------------------- labels


def _per_class_f1(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> np.ndarray:
    if not y_true:
        return np.zeros(len(labels))
    return np.asarray(
        f1_score(list(y_true), list(y_pred), labels=list(labels), average=None, zero_division=0),
        dtype=float,
    )


def f_avg(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """SemEval-2016 Task 6 F_avg: the mean of F1(favor) and F1(against).

    ``none`` (and any other label such as ``mixed`` or ``missing``) is no class
    of its own here, but a wrong ``none`` still costs recall or precision of the
    class it was confused with. Per-class F1 follows scikit-learn with
    ``zero_division=0``: a class absent from both sides scores 0.

    Args:
        y_true: Gold labels.
        y_pred: Predicted labels, aligned with ``y_true``.

    Returns:
        F_avg in [0, 1]; 0.0 for empty input.
    """
    return float(_per_class_f1(y_true, y_pred, ("favor", "against")).mean())


def _macro(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> float:
    return float(_per_class_f1(y_true, y_pred, labels).mean())


def score_labels(
    gold_quotes: Sequence[Mapping[str, Any]],
    pred_quotes: Sequence[Mapping[str, Any]],
) -> dict[str, float | int]:
    """Score stance and sentiment on quotes that are already aligned.

    This is the oracle setting: feed the classifier the gold quotes and compare
    its labels with the gold labels, free of extraction and matching errors.

    Args:
        gold_quotes: Gold quotes (dicts or pydantic models).
        pred_quotes: Predictions for the same quotes, in the same order.

    Returns:
        ``{target}_favg``, ``{target}_macro3`` per target, ``sentiment_macro``
        and ``n`` (the number of quotes).

    Raises:
        ValueError: If the two sequences differ in length.
    """
    gold = [_as_dict(q) for q in gold_quotes]
    pred = [_as_dict(q) for q in pred_quotes]
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold quotes but {len(pred)} predictions")
    out: dict[str, float | int] = {}
    for target in TARGETS:
        y_true = [_stance(q, target) for q in gold]
        y_pred = [_stance(q, target) for q in pred]
        out[f"{target}_favg"] = f_avg(y_true, y_pred)
        out[f"{target}_macro3"] = _macro(y_true, y_pred, STANCE_LABELS)
    out["sentiment_macro"] = _macro(
        [_sentiment(q) for q in gold], [_sentiment(q) for q in pred], SENTIMENT_LABELS
    )
    out["n"] = len(gold)
    return out


# --------------------------------------------------------------------------- speakers


def rollup(labels: Iterable[str]) -> str:
    """Roll quote-level stance up to speaker level (ANNOTATION.md section 5).

    Args:
        labels: One speaker's quote stances toward one target.

    Returns:
        ``favor`` if some label is favor and none is against, ``against`` the
        other way round, ``mixed`` if both occur, ``none`` otherwise.
    """
    seen = set(labels)
    if "favor" in seen and "against" in seen:
        return "mixed"
    if "favor" in seen:
        return "favor"
    if "against" in seen:
        return "against"
    return "none"


@dataclass
class _Speaker:
    name: str
    aliases: list[str]
    quotes: list[Mapping[str, Any]]


def _group_gold(quotes: Sequence[Mapping[str, Any]]) -> list[_Speaker]:
    groups: dict[tuple[str, ...], _Speaker] = {}
    for q in quotes:
        if not _has_speaker(q):
            continue
        key = normalize_name(q["speaker"])
        sp = groups.setdefault(key, _Speaker(str(q["speaker"]), [], []))
        sp.quotes.append(q)
        sp.aliases.extend(a for a in (q.get("speaker_aliases") or []) if a not in sp.aliases)
    return list(groups.values())


def speaker_stance(
    gold_quotes: Sequence[Mapping[str, Any]],
    pred_quotes: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[str], dict[str, int]]:
    """Compare speaker-level stance of one article, end to end.

    Gold quotes are grouped by normalised speaker and rolled up per target
    (``rollup``). Predicted quotes with a speaker are grouped the same way;
    quotes with no speaker are left out (they already cost ``unresolved_rate``
    and attribution). Each predicted group is aligned with the gold speaker its
    name matches (``names_match``), preferring an exact normalised or alias
    match, then the longest shared name, then the first gold speaker; predicted
    groups aligned with the same gold speaker are merged before the roll-up, so
    ``Sudani`` and ``Mohammed Shia al-Sudani`` in one output make one speaker.
    The roll-up uses every predicted quote of the speaker, matched to a gold
    quote or not: this is the end-to-end view a reader of the output gets.

    Unaligned speakers count as errors: a gold speaker with no predicted
    counterpart gets the predicted label ``missing`` (a recall error for its
    favor/against labels), and a predicted speaker with no gold counterpart is
    compared with gold ``none`` (a precision error when it claims favor or
    against).

    Args:
        gold_quotes: The gold article's quotes.
        pred_quotes: The predicted article's quotes, repeats already dropped.

    Returns:
        ``(y_true, y_pred, counts)``: one label pair per (speaker, target),
        targets pooled, and counts ``gold``, ``pred`` (predicted speaker groups)
        and ``aligned`` (gold speakers with a counterpart).
    """
    gold_speakers = _group_gold(gold_quotes)
    pred_groups: dict[tuple[str, ...], list[Mapping[str, Any]]] = defaultdict(list)
    pred_names: dict[tuple[str, ...], str] = {}
    for q in pred_quotes:
        if not _has_speaker(q):
            continue
        key = normalize_name(q["speaker"])
        pred_groups[key].append(q)
        pred_names.setdefault(key, str(q["speaker"]))

    aligned: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    orphans: list[list[Mapping[str, Any]]] = []
    for key, quotes in pred_groups.items():
        name = pred_names[key]
        best, best_aff = None, 0
        for gi, sp in enumerate(gold_speakers):
            aff = _name_affinity(name, sp.name, sp.aliases)
            if aff > best_aff:
                best, best_aff = gi, aff
        if best is None:
            orphans.append(quotes)
        else:
            aligned[best].extend(quotes)

    y_true: list[str] = []
    y_pred: list[str] = []
    for gi, sp in enumerate(gold_speakers):
        for target in TARGETS:
            y_true.append(rollup(_stance(q, target) for q in sp.quotes))
            if gi in aligned:
                y_pred.append(rollup(_stance(q, target) for q in aligned[gi]))
            else:
                y_pred.append(MISSING)
    for quotes in orphans:
        for target in TARGETS:
            y_true.append("none")
            y_pred.append(rollup(_stance(q, target) for q in quotes))
    counts = {"gold": len(gold_speakers), "pred": len(pred_groups), "aligned": len(aligned)}
    return y_true, y_pred, counts


# --------------------------------------------------------------------------- scoring


def _index(articles: Iterable[Any], side: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for art in articles:
        d = _as_dict(art)
        aid = str(d.get("id"))
        if aid in out:
            raise ValueError(f"duplicate {side} article id {aid!r}")
        out[aid] = d
    return out


def score(gold: Iterable[Any], pred: Iterable[Any]) -> ScoreResult:
    """Score predicted articles against gold articles (ANNOTATION.md section 7).

    Args:
        gold: Gold articles (dicts in the section 6 shape, or pydantic models).
        pred: Predicted articles of the same shape, paired with gold by ``id``.

    Returns:
        A ``ScoreResult``. Its ``metrics`` hold the section 7 names and:

        * ``n_articles``, ``n_gold``, ``n_pred`` (after repeats are dropped),
          ``n_matched``, ``n_duplicates``.
        * ``direct_p``/``direct_r``/``direct_f1`` and ``indirect_*``: each side
          split by its own ``kind`` (matching itself ignores kind):
          ``direct_p`` is the share of predicted direct quotes that matched a
          gold quote, ``direct_r`` (= ``recall_direct``) the share of gold
          direct quotes that some prediction matched; ``direct_n`` counts gold
          direct quotes. ``kind_acc`` is the share of matched pairs whose kinds
          agree; ``affiliation_acc`` the share whose affiliations agree
          (:func:`affiliation_key`; both absent counts as agreeing).
        * ``person_r``/``person_attr``/``person_n`` and the same for
          ``organization`` and ``unnamed``, split by gold ``speaker_type``:
          recall of those gold quotes, attribution accuracy over those of them
          that matched, and their count.
        * ``speaker_stance_acc``: exact agreement of the speaker-level labels
          (all four plus ``missing``), and ``n_gold_speakers``,
          ``n_pred_speakers``, ``n_aligned_speakers``.
    """
    gold_by_id = _index(gold, "gold")
    pred_by_id = _index(pred, "pred")

    records: list[MatchRecord] = []
    matched_gold: list[dict[str, Any]] = []
    matched_pred: list[dict[str, Any]] = []
    kept_pred: list[dict[str, Any]] = []
    all_gold: list[dict[str, Any]] = []
    gold_ok: list[bool | None] = []  # per gold quote: speaker match if matched, else None
    pred_hit: list[bool] = []
    sp_true: list[str] = []
    sp_pred: list[str] = []
    sp_counts: Counter[str] = Counter()
    n_duplicates = 0

    for aid, g_art in gold_by_id.items():
        g_quotes = _quotes(g_art)
        p_quotes = _quotes(pred_by_id[aid]) if aid in pred_by_id else []
        pairs, dropped = match_article(g_quotes, p_quotes)
        dropped_set = set(dropped)
        n_duplicates += len(dropped)
        by_gold = {gi: (pi, ov, gc, pc) for gi, pi, ov, gc, pc in pairs}
        used_pred = {pi for _, pi, _, _, _ in pairs}

        for gi, gq in enumerate(g_quotes):
            all_gold.append(gq)
            if gi in by_gold:
                pi, ov, gc, pc = by_gold[gi]
                pq = p_quotes[pi]
                ok = _speaker_ok(pq, gq)
                gold_ok.append(ok)
                matched_gold.append(gq)
                matched_pred.append(pq)
                records.append(
                    MatchRecord(
                        aid,
                        "matched",
                        gi,
                        pi,
                        ov,
                        gc,
                        pc,
                        ok,
                        gq.get("text"),
                        pq.get("text"),
                        gq.get("speaker"),
                        pq.get("speaker"),
                        gq.get("kind"),
                        pq.get("kind"),
                        _labels(gq),
                        _labels(pq),
                    )
                )
            else:
                gold_ok.append(None)
                records.append(
                    MatchRecord(
                        aid,
                        "missed",
                        gi,
                        None,
                        gold_text=gq.get("text"),
                        gold_speaker=gq.get("speaker"),
                        gold_kind=gq.get("kind"),
                        gold_labels=_labels(gq),
                    )
                )
        for pi, pq in enumerate(p_quotes):
            if pi in dropped_set or pi not in used_pred:
                status: Status = "duplicate" if pi in dropped_set else "spurious"
                records.append(
                    MatchRecord(
                        aid,
                        status,
                        None,
                        pi,
                        pred_text=pq.get("text"),
                        pred_speaker=pq.get("speaker"),
                        pred_kind=pq.get("kind"),
                        pred_labels=_labels(pq),
                    )
                )
            if pi not in dropped_set:
                kept_pred.append(pq)
                pred_hit.append(pi in used_pred)

        y_t, y_p, counts = speaker_stance(
            g_quotes, [q for i, q in enumerate(p_quotes) if i not in dropped_set]
        )
        sp_true.extend(y_t)
        sp_pred.extend(y_p)
        sp_counts.update(counts)

    n_gold, n_pred, n_matched = len(all_gold), len(kept_pred), len(matched_gold)
    m: dict[str, float | int] = {}
    m["quote_p"] = _ratio(n_matched, n_pred)
    m["quote_r"] = _ratio(n_matched, n_gold)
    m["quote_f1"] = _f1(m["quote_p"], m["quote_r"])

    for kind in KINDS:
        g_idx = [i for i, q in enumerate(all_gold) if q.get("kind") == kind]
        p_idx = [i for i, q in enumerate(kept_pred) if q.get("kind") == kind]
        r = _ratio(sum(gold_ok[i] is not None for i in g_idx), len(g_idx))
        p = _ratio(sum(pred_hit[i] for i in p_idx), len(p_idx))
        m[f"recall_{kind}"] = r
        m[f"{kind}_p"], m[f"{kind}_r"], m[f"{kind}_f1"] = p, r, _f1(p, r)
        m[f"{kind}_n"] = len(g_idx)

    ok = [o for o in gold_ok if o is not None]
    m["attribution_acc"] = _ratio(sum(ok), len(ok))
    m["unresolved_rate"] = _ratio(sum(not _has_speaker(q) for q in kept_pred), n_pred)
    same_kind = [
        g.get("kind") == p.get("kind") for g, p in zip(matched_gold, matched_pred, strict=True)
    ]
    m["kind_acc"] = _ratio(sum(same_kind), n_matched)
    same_side = [
        affiliation_key(g.get("affiliation")) == affiliation_key(p.get("affiliation"))
        for g, p in zip(matched_gold, matched_pred, strict=True)
    ]
    m["affiliation_acc"] = _ratio(sum(same_side), n_matched)

    labels = score_labels(matched_gold, matched_pred)
    for target in TARGETS:
        m[f"{target}_favg"] = labels[f"{target}_favg"]
        m[f"{target}_macro3"] = labels[f"{target}_macro3"]
    m["sentiment_macro"] = labels["sentiment_macro"]

    m["speaker_stance_favg"] = f_avg(sp_true, sp_pred)
    m["speaker_stance_acc"] = _ratio(
        sum(t == p for t, p in zip(sp_true, sp_pred, strict=True)), len(sp_true)
    )

    for stype in SPEAKER_TYPES:
        g_idx = [i for i, q in enumerate(all_gold) if q.get("speaker_type") == stype]
        attr = [gold_ok[i] for i in g_idx if gold_ok[i] is not None]
        m[f"{stype}_r"] = _ratio(len(attr), len(g_idx))
        m[f"{stype}_attr"] = _ratio(sum(attr), len(attr))
        m[f"{stype}_n"] = len(g_idx)

    m["n_articles"] = len(gold_by_id)
    m["n_gold"] = n_gold
    m["n_pred"] = n_pred
    m["n_matched"] = n_matched
    m["n_duplicates"] = n_duplicates
    m["n_gold_speakers"] = sp_counts["gold"]
    m["n_pred_speakers"] = sp_counts["pred"]
    m["n_aligned_speakers"] = sp_counts["aligned"]
    ordered = {k: m[k] for k in METRIC_NAMES}
    ordered.update((k, v) for k, v in m.items() if k not in ordered)
    return ScoreResult(metrics=ordered, matches=records)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file into dicts (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score_files(gold_path: str | Path, pred_path: str | Path) -> ScoreResult:
    """Score two JSON Lines files (ANNOTATION.md section 6 format).

    Args:
        gold_path: Gold articles, one JSON object a line.
        pred_path: Predicted articles, one JSON object a line.

    Returns:
        The ``ScoreResult`` of ``score``.
    """
    return score(read_jsonl(gold_path), read_jsonl(pred_path))


# --------------------------------------------------------------------------- CLI


def _render(metrics: Mapping[str, float | int]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a project dependency
        width = max(len(k) for k in metrics)
        for k, v in metrics.items():
            val = f"{v:.4f}" if isinstance(v, float) else str(v)
            sys.stdout.write(f"{k:<{width}}  {val}\n")
        return
    table = Table(title="stancewire scores")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``python -m stancewire.eval.scorer GOLD.jsonl PRED.jsonl``.

    Args:
        argv: Arguments (defaults to ``sys.argv[1:]``).

    Returns:
        The process exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m stancewire.eval.scorer",
        description="Score predicted quotes against gold (docs/ANNOTATION.md section 7).",
    )
    parser.add_argument("gold", type=Path, help="gold JSON Lines file")
    parser.add_argument("pred", type=Path, help="predicted JSON Lines file")
    parser.add_argument("--json", action="store_true", help="write the metrics as JSON instead")
    args = parser.parse_args(argv)
    result = score_files(args.gold, args.pred)
    if args.json:
        sys.stdout.write(json.dumps(result.metrics, indent=2) + "\n")
    else:
        _render(result.metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
