"""Quote finding: direct quotations and reported speech (ANNOTATION.md section 1).

The finder writes ``doc.spans[QUOTES_KEY]``: one span per quote, in document
order, with ``sw_kind``, ``sw_cue`` and ``sw_mention`` set. Speakers are resolved
later by :mod:`stancewire.models.components.speakers`, which only needs the
mention and the cue.

Design, and why:

* Quotation marks are paired per paragraph with a small state machine rather
  than a regex, so that a stray or unbalanced mark can cost at most its own
  sentence, never the rest of the article. Curly marks are directional;
  straight marks are read from the characters around them. A quotation that
  runs on into the next paragraph (no closing mark, a fresh opening one) gives
  one quote per paragraph, all with the first part's source.
* A direct quote is attributed through the dependency tree first (the nearest
  reporting verb that dominates the quote), then by proximity, then by a
  ``He said:`` before it or an ``X told the rally.`` right after it; quotes
  with no cue are kept only when they make up their sentence and a paragraph
  at most ``flow_paragraphs`` back gave a speaker (directly or in reported
  speech), which is what tells a quotation from a scare quote or a title.
* Indirect quotes come from a lexicon of reporting verbs and their complements.
  ``said A and that B`` is two reported clauses; a complement that holds a
  direct quote yields no indirect quote (the direct one is the better unit),
  except for a complete clause before a quoted conjoined predicate
  (``said A and “B”``). A report inside a speaker's words is part of them; a
  relay (``..., state television reported``) gives way to the report it relays.
* Paragraphs and datelines are hard boundaries: a sentence never spans two
  paragraphs, and ``BAGHDAD (Reuters) -`` is never the subject of the lede.
* Every step reads a bounded neighbourhood (sentence, subtree, a few tokens)
  through per-document indexes, so the cost stays linear in the article's
  length, with no regex that can backtrack.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup, Token

from stancewire.models.doc_attrs import QUOTES_KEY, register_extensions

register_extensions()

# --------------------------------------------------------------------------- lexicons

REPORTING_VERBS: frozenset[str] = frozenset(
    """say tell warn urge stress condemn denounce vow claim insist deny add note announce
    state argue accuse call demand describe pledge promise confirm report acknowledge admit
    emphasize emphasise reiterate propose ask order caution signal suggest indicate express
    convey echo explain write tweet post declare assert allege predict recommend repeat reply
    respond answer comment remark reveal disclose concede complain criticize criticise blame
    praise welcome reject hail affirm reaffirm assure inform advise instruct appeal mention
    recall observe point lament voice swear hint counter retort underline underscore highlight
    threaten brand label dismiss charge contend maintain stipulate decry slam blast press""".split()
)
"""Lemmas of verbs that introduce speech. Mental verbs (believe, fear, hope,
think) are left out on purpose: they report attitudes, not statements."""

WEAK_VERBS: frozenset[str] = frozenset(
    "suggest indicate signal reveal hint highlight underline underscore echo point maintain".split()
)
"""Verbs that also describe evidence ("the data suggest"); they count only with a
subject that can speak."""

OBJECT_VERBS: frozenset[str] = frozenset(
    """condemn denounce urge warn order tell ask convey express describe accuse blame
    criticize criticise praise welcome reject deny demand propose reiterate stress emphasize
    emphasise acknowledge affirm reaffirm voice signal call instruct advise inform caution
    dismiss hail decry slam blast brand label charge assure promise pledge press""".split()
)
"""Verbs whose object (plus its ``to``/``as``/``of`` complement) is the reported content."""

XCOMP_VERBS: frozenset[str] = frozenset(
    "vow pledge promise propose swear demand ask urge order tell warn call threaten press".split()
)
"""Verbs whose infinitival / gerund complement is the reported content."""

AMBIGUOUS_VERBS: frozenset[str] = frozenset(
    "respond answer reply counter charge post blast slam strike press".split()
)
"""Verbs that also name actions ("would respond to attacks", "blasted the base"):
they cue a direct quote only when the quote is their complement."""

_CONTENT_DEPS = frozenset({"ccomp", "parataxis", "dobj", "xcomp", "conj"})
"""Relations by which a quotation can be the content of a reporting verb."""


_ANDS = frozenset({"and", "but"})
_SUBJECTS = frozenset({"nsubj", "nsubjpass"})
_QUOTE_SIDE_DEPS = frozenset({"aux", "auxpass", "neg", "cc", "mark", "advmod", "punct"})
_CORE_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl", "dobj", "attr"})
_REFLEXIVES = frozenset({"itself", "themselves", "himself", "herself", "ourselves"})
_ANONYMITY_RE = re.compile(r"\bnot (?:to )?be (?:named|identified|quoted)\b", re.IGNORECASE)
_SUBJ_DEPS = frozenset({"nsubjpass", "csubjpass"})  # the quote is what was declared
_ACTION_LIKE = AMBIGUOUS_VERBS | {"add", "note", "point", "welcome", "reject", "hail"}

_EPIGRAPH_TAIL = 120

_MAX_REACH = 150
"""Tokens on each side of a quote searched for its cue: an attribution sits in the
quote's sentence, and the cap keeps a sentence with no full stop from making the
search cost the article's length for every quote in it."""

_MAX_CLAUSE = 200
"""Tokens of a reported clause searched for ``and that``: nested reports (``said
that X said that ...``) must not make each report read the whole chain."""

_ANONYMITY_WORDS = 12

_MAX_MENTION = 40
"""Tokens on each side of its head that a source mention may span."""
"""Longest paragraph tail, in characters, that can still be ``- Name`` after a quote."""

HEARER_VERBS: dict[str, frozenset[str]] = {
    "tell": frozenset(),
    "ask": frozenset(),
    "press": frozenset(),
    "notify": frozenset(),
    "inform": frozenset({"of", "about"}),
    "assure": frozenset({"of"}),
    "remind": frozenset({"of", "about"}),
    "brief": frozenset({"on", "about"}),
    "warn": frozenset({"of", "against", "about"}),
}
"""Verbs whose object is the hearer, with the prepositions that carry what the
hearer is told: the object is reported content only together with that message
(``told Y to leave``, ``warned Y of ...``), never alone (``told thousands of
supporters``)."""

RELAY_VERBS: frozenset[str] = frozenset(
    {"report", "quote", "cite", "publish", "carry", "broadcast"}
)
"""Verbs by which a medium passes on someone else's words."""

CCOMP_ONLY: frozenset[str] = frozenset({"threaten", "claim", "echo", "announce", "confirm"})
"""Verbs that report words only with a clause ("threatened that ..."), not with an
object or infinitive ("threaten to control", "claimed responsibility")."""

SOURCE_NOUNS: frozenset[str] = frozenset(
    """official officials spokesman spokeswoman spokesperson minister ministry source sources
    analyst analysts expert experts report reports statement statements leader leaders
    commander commanders adviser advisor government administration office president lawmaker
    lawmakers diplomat diplomats officer officers group groups faction factions militia
    militias movement party spokesmen envoy ambassador researcher researchers observer
    observers witness witnesses resident residents member members stance council embassy
    military army agency media""".split()
)
"""Nouns that can head a speaking subject of a weak verb."""

SPECULATIVE_AUX: frozenset[str] = frozenset({"may", "might", "could", "would", "should"})
"""Modal auxiliaries that make a reporting verb hypothetical ("Iran may be telling")."""

NON_AGENT_PRONOUNS: frozenset[str] = frozenset(
    {"this", "that", "these", "those", "which", "what", "who", "there", "nothing", "everything"}
)

_CUE_WORD_RE = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|noted|stated|warned|insisted|explained|wrote|"
    r"argued|according)\b",
    re.IGNORECASE,
)
_OPEN_MARKS = "“„«"
_CLOSE_MARKS = "”»"
_STRAIGHT = '"'
_MARKS_RE = re.compile(r'["“”„«»]')
_DASH_NAME_RE = re.compile(
    r"^\s*[-–—―]+\s*((?:[A-Z][\w.'’-]*)(?:\s+(?:[A-Z][\w.'’-]*|al-\w+|bin|de|van|von)){0,5})"
    r"\s*[.,]?\s*$"
)
_PARA_RE = re.compile(r"\n[ \t\r\f\v]*\n")
_DATELINE_MAX = 120
DATELINE_PARAGRAPHS = 6
"""Opening paragraphs (after page chrome, headline, byline, date) that may hold a dateline."""
_DATELINE_RE = re.compile(
    r"\s*[A-Z][A-Z'’.\-]+(?:[ /][A-Z][A-Z'’.\-]+){0,4}"  # BAGHDAD, KHABARI CROSSING, A/B
    r"(?:,[^()\n—–]{1,40}?)?"  # , Iraq, June 30 / , Nov 27, 2008
    r"(?:\s*\([A-Za-z .&-]{1,30}\))?"  # (Reuters)
    r"\s*(?:-{1,2}|[—–])\s+"
)
_END_PUNCT = '.!?"”’:)»'
_QUOTE_END = '"”’»'
_SENTENCE_END = ".!?,;:…"
_TRIM_CHARS = " \t\n\r,;:.-–—\"“”„«»'‘’"

# --------------------------------------------------------------------------- paragraphs


def paragraph_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs of ``doc``.

    Uses ``doc._.sw_paragraphs`` when the caller set it (the cleaner knows the
    real paragraph structure), otherwise splits on blank lines.
    """
    given = doc._.sw_paragraphs
    if given and len(doc):
        length = doc[-1].idx + len(doc[-1].text_with_ws)
        out = []
        for item in given:
            try:
                start, end = int(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 <= start < end <= length:
                out.append((start, end))
        if out:
            return sorted(out)
    text = doc.text  # built from the tokens on every access: read it once
    bounds: list[tuple[int, int]] = []
    pos = 0
    for match in _PARA_RE.finditer(text):
        if match.start() > pos:
            bounds.append((pos, match.start()))
        pos = match.end()
    if pos < len(text):
        bounds.append((pos, len(text)))
    return bounds


def dateline_end(paragraph: str) -> int:
    """Length of the dateline that opens ``paragraph`` (0 if there is none).

    ``BAGHDAD, June 8 (Reuters) - ``, ``MOSUL, Iraq (AP) — ``, ``ERBIL — ``: a
    place in capitals, optionally a date and an agency, then a dash.
    """
    match = _DATELINE_RE.match(paragraph[:_DATELINE_MAX])
    return match.end() if match else 0


class ParagraphSegmenter:
    """Marks each paragraph start as a sentence start, before the parser runs.

    Why: the parser then never builds a tree across a blank line, so a headline
    or a photo caption cannot become the subject of the next paragraph's verb.
    A dateline (``BAGHDAD, June 8 (Reuters) -``) is cut off the same way, or
    the parser makes the city the subject of the lede's reporting verb.
    """

    def __call__(self, doc: Doc) -> Doc:
        try:
            bounds = paragraph_bounds(doc)
            if doc._.sw_paragraphs is None:
                doc._.sw_paragraphs = bounds
            text = doc.text
            for k, (start, end) in enumerate(bounds):
                span = doc.char_span(start, start + 1, alignment_mode="expand")
                if span is not None and span.start > 0:
                    doc[span.start].is_sent_start = True
                # only an opening paragraph carries a dateline ("NATO — which ..."
                # further down is a subject, not a place line)
                head = text[start : min(end, start + _DATELINE_MAX)]
                first = k + doc._.sw_first_paragraph < DATELINE_PARAGRAPHS
                cut = dateline_end(head) if first else 0
                if cut and start + cut < end:
                    body = doc.char_span(start + cut, start + cut + 1, alignment_mode="expand")
                    if body is not None and body.start > 0:
                        doc[body.start].is_sent_start = True
        except Exception:  # noqa: BLE001 - never fail a document over segmentation
            pass
        return doc


@Language.factory("stancewire_paragraphs")
def make_paragraph_segmenter(nlp: Language, name: str) -> ParagraphSegmenter:
    """Factory of :class:`ParagraphSegmenter` (add it before ``parser``)."""
    return ParagraphSegmenter()


# --------------------------------------------------------------------------- structures


@dataclass
class Paragraph:
    """A paragraph as character and token ranges, with its headline flag."""

    start_char: int
    end_char: int
    start: int
    end: int
    headline: bool


@dataclass
class RawQuote:
    """A quoted stretch found by :class:`QuoteMarkScanner` (content characters)."""

    start_char: int
    end_char: int
    paragraph: int
    continued: bool = False  # goes on from a quotation left open by the previous paragraph


@dataclass
class Found:
    """A quote ready to become a span."""

    start: int
    end: int
    kind: str
    cue: tuple[int, int] | None
    mention: tuple[int, int] | None
    paragraph: int = 0
    flow: bool = False  # uncued: kept only if a recent paragraph gave a speaker


# --------------------------------------------------------------------------- helpers


def is_headline(text: str, *, max_words: int = 25) -> bool:
    """Whether a paragraph reads as a headline, kicker or caption line.

    Why: ANNOTATION section 1 excludes headlines; they are short and do not end
    like a sentence.
    """
    stripped = text.strip()
    if not stripped:
        return True
    if stripped[0] == "." and len(stripped) > 1 and stripped[1].isalpha():
        # link text glued between HTML paragraphs (".Iraq and US need ...")
        return True
    if len(stripped) > max_words * 40 or len(stripped.split(maxsplit=max_words)) > max_words:
        return False
    last = stripped[-1]
    if last in _QUOTE_END and len(stripped) > 1 and stripped[-2] not in _SENTENCE_END:
        # a title ending in a scare-quoted word: Baghdad condemns "aggression"
        return True
    return last not in _END_PUNCT


def _straight_direction(text: str, pos: int) -> str | None:
    """Guess whether a straight ``"`` at ``pos`` opens or closes a quotation."""
    prev = text[pos - 1] if pos > 0 else " "
    nxt = text[pos + 1] if pos + 1 < len(text) else " "
    prev_open = prev.isspace() or prev in "([{—–-/:"
    next_open = not nxt.isspace() and nxt not in ".,;:!?)]}"
    if prev_open and next_open:
        return "open"
    if not prev.isspace() and (nxt.isspace() or nxt in ".,;:!?)]}-—–<"):
        return "close"
    return None


class QuoteMarkScanner:
    """Pairs quotation marks into quoted stretches, paragraph by paragraph.

    A paragraph that ends inside a quotation continues into the next paragraph
    when that one opens with a mark (the newspaper convention for long quotes);
    each paragraph's part is its own stretch (a contiguous quoted span, as
    ANNOTATION.md section 1 counts them), the later ones flagged ``continued``
    so that they keep the first part's speaker. Otherwise the open quotation is
    closed at the end of its sentence, so a stray mark never swallows the rest
    of the article.
    """

    def __init__(self, *, max_chars: int = 5000) -> None:
        self.max_chars = max_chars

    def scan(self, text: str, paragraphs: list[Paragraph]) -> list[RawQuote]:
        """All quoted stretches, in order (content only, marks excluded)."""
        found: list[RawQuote] = []
        carry = False  # the last paragraph ended inside a quotation that goes on here
        for p_index, para in enumerate(paragraphs):
            ptext = text[para.start_char : para.end_char]
            marks = [(m.start() + para.start_char, m.group()) for m in _MARKS_RE.finditer(ptext)]
            open_at: int | None = None
            continued = False
            for k, (pos, mark) in enumerate(marks):
                direction = (
                    "open"
                    if mark in _OPEN_MARKS
                    else "close"
                    if mark in _CLOSE_MARKS
                    else _straight_direction(text, pos)
                )
                if k == 0 and carry and not ptext[: pos - para.start_char].strip():
                    direction = "open"  # the reopening mark of a continued quotation
                if direction is None:
                    direction = "close" if open_at is not None else "open"
                if direction == "open":
                    if open_at is not None:
                        end = self._cut_unterminated(text, open_at, pos)
                        self._emit(found, open_at, end, p_index, continued)
                    open_at = pos + 1
                    continued = k == 0 and carry
                elif open_at is not None:
                    self._emit(found, open_at, pos, p_index, continued)
                    open_at = None
            carry = False
            if open_at is not None:
                nxt = paragraphs[p_index + 1] if p_index + 1 < len(paragraphs) else None
                nxt_first = text[nxt.start_char : nxt.start_char + 8].lstrip()[:1] if nxt else ""
                if nxt_first and nxt_first in _OPEN_MARKS + _STRAIGHT:
                    self._emit(found, open_at, para.end_char, p_index, continued)
                    carry = True
                else:
                    end = self._sentence_end(text, open_at, para.end_char)
                    self._emit(found, open_at, end, p_index, continued)
        return found

    def _emit(
        self, found: list[RawQuote], start: int, end: int, para: int, continued: bool
    ) -> None:
        if end - start > 0 and end - start <= self.max_chars:
            found.append(RawQuote(start, end, para, continued))

    @staticmethod
    def _cut_unterminated(text: str, start: int, next_open: int) -> int:
        """End of a quotation left open when another one opens.

        ``“The problem, said X, is “that ...”``: the first quotation ends where
        the attribution starts, i.e. at a comma followed by a reporting word.
        """
        segment = text[start:next_open]
        for match in re.finditer(r",\s+", segment):
            if _CUE_WORD_RE.search(segment[match.end() : match.end() + 60]):
                return start + match.start()
        return next_open

    @staticmethod
    def _sentence_end(text: str, start: int, limit: int) -> int:
        match = re.search(r"[.!?](?=\s|$)", text[start:limit])
        return start + match.end() if match else limit


def _trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Token range without leading/trailing punctuation, quote marks and spaces."""
    while start < end and (doc[start].is_punct or doc[start].is_space or doc[start].is_quote):
        start += 1
    while end > start and (
        doc[end - 1].is_space
        or doc[end - 1].is_quote
        or (doc[end - 1].is_punct and doc[end - 1].text not in "?!)]")
    ):
        end -= 1
    return start, end


def _words(doc: Doc, start: int, end: int) -> int:
    return sum(1 for t in doc[start:end] if t.is_alpha or t.like_num)


def _has_words(doc: Doc, start: int, end: int, k: int) -> bool:
    """Whether ``doc[start:end]`` holds at least ``k`` words (stops once it does)."""
    count = 0
    for i in range(start, end):
        tok = doc[i]
        if tok.is_alpha or tok.like_num:
            count += 1
            if count >= k:
                return True
    return k <= 0


def _sentence_range(doc: Doc, start: int, end: int, reach: int) -> tuple[int, int]:
    """The sentences around ``doc[start:end]``, at most ``reach`` tokens either side.

    ``Token.sent`` walks the whole sentence, which for a text that never ends
    a sentence is the whole article, once per quote.
    """
    s = start
    while s > 0 and start - s < reach and not doc[s].is_sent_start:
        s -= 1
    e = end
    while e < len(doc) and e - end < reach and not doc[e].is_sent_start:
        e += 1
    return s, e


_CHILDREN: weakref.WeakKeyDictionary[Doc, list[list[int]]] = weakref.WeakKeyDictionary()


def kids(token: Token) -> list[Token]:
    """The syntactic children of ``token``, from a per-document index.

    ``Token.children`` scans the token's whole subtree, so on a sentence that
    never ends (a malformed article) every call costs the article's length;
    the index is built once per parsed document, in one pass.
    """
    doc = token.doc
    table = _CHILDREN.get(doc)
    if table is None or len(table) != len(doc):
        table = [[] for _ in range(len(doc))]
        for tok in doc:
            head = tok.head.i
            if head != tok.i:
                table[head].append(tok.i)
        _CHILDREN[doc] = table
    return [doc[i] for i in table[token.i]]


def _spaced_dash(tok: Token) -> bool:
    """A hyphen typed as a dash (``UNICEF - which runs the camps - said``)."""
    return tok.text in ("-", "--") and tok.i > 0 and bool(tok.nbor(-1).whitespace_)


def _conjoined(head: Token) -> list[Token]:
    """Tokens coordinated under ``head`` (``A, B and C``), read from the child index."""
    out: list[Token] = []
    stack = [c for c in kids(head) if c.dep_ == "conj"]
    while stack and len(out) < _MAX_MENTION:
        tok = stack.pop()
        out.append(tok)
        stack.extend(c for c in kids(tok) if c.dep_ == "conj")
    return sorted(out, key=lambda t: t.i)


def _tail_text(doc: Doc, end: int, para: Paragraph) -> tuple[int, str]:
    """The start character and text of ``doc[end:para.end]`` when it is short.

    Built from the tokens: ``doc.text`` is rebuilt on every access, so slicing
    it once per quote would cost the article's length each time.
    """
    if end >= para.end:
        return para.end_char, ""
    first = doc[end].idx
    if para.end_char - first > _EPIGRAPH_TAIL:
        return first, ""
    return first, doc[end : para.end].text


def entity_at(token: Token) -> Span | None:
    """The named entity holding ``token``, found from its IOB tags.

    Walking the tags costs the entity's length, where searching ``doc.ents``
    would cost the article's: this runs for many tokens of long articles.
    """
    if token.ent_iob_ not in ("B", "I"):
        return None
    doc = token.doc
    start = token.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def _is_when(tok: Token) -> bool:
    """A date or time attached to a noun: ``on Sunday``, ``Tuesday``, ``last week``."""
    if tok.dep_ == "prep":
        return any(c.dep_ == "pobj" and c.ent_type_ in ("DATE", "TIME") for c in kids(tok))
    return tok.dep_ in ("npadvmod", "nmod", "compound") and tok.ent_type_ in ("DATE", "TIME")


def _is_report_verb(tok: Token) -> bool:
    return tok.pos_ == "VERB" and tok.lemma_.lower() in REPORTING_VERBS


def _subtree_range(token: Token) -> tuple[int, int]:
    return token.left_edge.i, token.right_edge.i + 1


# --------------------------------------------------------------------------- sources


class SourceLocator:
    """Finds the token span naming the source of a reporting cue.

    Handles the subject (``X said``), inverted subjects (``said X``), passive
    agents (``was told by X``), subjects inherited through participles and
    coordination (``..., warning``; ``said ... and added``), nouns modified by a
    reporting participle (``its statement denouncing``) and ``according to X``.
    """

    def __init__(self, *, max_hops: int = 4) -> None:
        self.max_hops = max_hops

    def heads(self, cue: Token) -> list[Token]:
        """Head tokens of the source(s) of ``cue``; conjoined sources each count."""
        if cue.lower_ == "according":
            for child in kids(cue):
                if child.dep_ == "prep" and child.lower_ == "to":
                    objs = [c for c in kids(child) if c.dep_ == "pobj"]
                    if objs:
                        return self._conjuncts(objs[0])
            return []
        verb = cue
        for _ in range(self.max_hops):
            subjects = [c for c in kids(verb) if c.dep_ in ("nsubj", "csubj")]
            passive = [c for c in kids(verb) if c.dep_ == "nsubjpass"]
            agents = [
                g for c in kids(verb) if c.dep_ == "agent" for g in kids(c) if g.dep_ == "pobj"
            ]
            if agents:
                return self._conjuncts(agents[0])
            if subjects:
                subject = self._best_subject(subjects)
                if (
                    subject.lower_ in ("which", "who")
                    and subject.i > 0
                    and subject.nbor(-1).text == ","
                    and verb.dep_ == "relcl"
                    and verb.head.pos_ in ("NOUN", "PROPN")
                    and any(c.dep_ == "ccomp" for c in kids(verb))
                ):
                    # "the Interior Ministry, which said that ...": the noun it stands for
                    return self._conjuncts(verb.head)
                return self._conjuncts(subject)
            if passive and verb.lemma_ == "quote":
                return self._conjuncts(passive[0])  # "X was quoted as saying"
            if passive and verb is not cue and not _is_report_verb(verb):
                # "The statement was pointed, describing ...": the passive subject
                # of the main verb is the subject of the participle
                return self._conjuncts(passive[0])
            if passive and verb.lemma_ not in ("tell", "ask", "urge", "warn", "inform"):
                return []
            if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN", "PRON"):
                if verb.dep_ == "relcl":
                    return self._conjuncts(verb.head)
                return [verb.head]
            if (
                verb.dep_ == "conj"
                and verb.head.dep_ == "ccomp"
                and _is_report_verb(verb)
                and _is_report_verb(verb.head.head)
            ):
                # "X said A and pledged that B", parsed with "pledged" inside A
                verb = verb.head.head
                continue
            if verb.dep_ in ("advcl", "xcomp", "conj", "ccomp", "pcomp", "prep") and (
                verb.head != verb
            ):
                verb = verb.head
                continue
            break
        return self._adjacent_subject(cue)

    @staticmethod
    def _adjacent_subject(cue: Token) -> list[Token]:
        """A noun right before a finite verb that the parser left without a subject.

        ``In Tehran, Iran's foreign ministry said ...`` is sometimes parsed with
        the ministry in apposition to Tehran; the noun next to the verb is still
        its subject.
        """
        if cue.tag_ not in ("VBD", "VBZ", "VBP") or cue.i == 0:
            return []
        prev = cue.nbor(-1)
        if prev.pos_ in ("NOUN", "PROPN") and prev.dep_ in ("appos", "pobj", "conj", "dobj"):
            return [prev]
        # "In Tehran, Hossein Farahani, an adviser ..., described": the subject
        # hung on the place of an opening prepositional phrase
        for prep in kids(cue):
            if prep.dep_ != "prep" or prep.i > cue.i:
                continue
            for pobj in kids(prep):
                for tok in kids(pobj):
                    if (
                        tok.dep_ in ("conj", "appos")
                        and tok.pos_ in ("NOUN", "PROPN")
                        and tok.right_edge.i < cue.i
                    ):
                        return [tok]
        return []

    @staticmethod
    def _best_subject(subjects: list[Token]) -> Token:
        # "Jaafar al-Husseini" can parse with two nsubj children; prefer an entity.
        for tok in subjects:
            if tok.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
                return tok
        return subjects[0]

    @staticmethod
    def _conjuncts(head: Token) -> list[Token]:
        """The head and its coordinated nouns, minus ``other ...`` catch-alls."""
        out = [head]
        for tok in _conjoined(head):
            if tok.i < head.i or tok.pos_ not in ("NOUN", "PROPN", "PRON"):
                continue
            if any(c.lower_ in ("other", "others") for c in kids(tok)) or tok.lower_ == "others":
                continue
            out.append(tok)
        return out

    @staticmethod
    def mention_range(head: Token, *, exclude: Token | None = None) -> tuple[int, int]:
        """Token range of the mention headed by ``head``.

        The subtree, without coordinated siblings, cut at the first comma (an
        apposition or aside follows it) and without a clause holding the cue.
        """
        doc = head.doc
        ent = entity_at(head)
        start = max(head.left_edge.i, head.i - _MAX_MENTION)
        end = min(head.right_edge.i + 1, head.i + _MAX_MENTION)
        for child in kids(head):
            if child.i > head.i and _is_when(child):
                end = min(end, child.left_edge.i)  # "the ministry on Sunday said"
                continue
            if child.dep_ in ("conj", "cc") or (
                exclude is not None and child.i <= exclude.i <= child.right_edge.i
            ):
                if child.i > head.i:
                    end = min(end, child.left_edge.i)
                else:
                    start = max(start, child.right_edge.i + 1)
            elif child.dep_ in ("acl", "relcl") and child.i > head.i and exclude is not None:
                if child.left_edge.i <= exclude.i <= child.right_edge.i:
                    end = min(end, child.left_edge.i)
        for i in range(head.i + 1, end):
            if doc[i].text in (",", "(", "—", "–", ";") or doc[i].is_quote or _spaced_dash(doc[i]):
                end = i
                break
        for i in range(head.i - 1, start - 1, -1):
            if doc[i].text in (",", ")", ";") or (doc[i].is_quote and doc[i].dep_ != "case"):
                start = i + 1
                break
        if ent is not None:
            start, end = min(start, ent.start), max(end, ent.end)
        relcl = [c for c in kids(head) if c.dep_ == "relcl" and c.right_edge.i + 1 == end]
        if relcl and exclude is not None and end < len(doc):
            # "Analysts who follow Iraq closely said": the parser hangs "closely" on "said"
            nxt = doc[end]
            if nxt.dep_ == "advmod" and nxt.head == exclude and nxt.i + 1 == exclude.i:
                end += 1
        start, end = _trimmed(doc, start, end)
        if end <= start:
            return head.i, head.i + 1
        return start, end


# --------------------------------------------------------------------------- indirect


class ContentExtractor:
    """The reported content of a reporting cue, as a token range (or None)."""

    def __init__(self, *, min_words: int = 3) -> None:
        self.min_words = min_words

    def contents(self, cue: Token) -> list[tuple[int, int]]:
        """The reported clauses of ``cue``: usually one, two for ``said A and that B``."""
        if cue.lower_ == "according":
            found = self._according(cue)
            return [found] if found else []
        doc = cue.doc
        lemma = cue.lemma_.lower()
        children = list(kids(cue))
        ccomps = [c for c in children if c.dep_ == "ccomp"]
        if lemma == "point" and not any(c.dep_ == "prt" and c.lower_ == "out" for c in children):
            return []
        if lemma == "call":
            ccomps = []
        after = [c for c in ccomps if c.i > cue.i]
        if after:
            return self._clauses(doc, after[0], after[-1].right_edge.i + 1)
        if ccomps:
            comp = ccomps[-1]
            start, end = _subtree_range(comp)
            if cue.i < end:
                return []
            return self._finished(doc, [(start, end)])
        if (
            cue.dep_ == "parataxis"
            and cue.head.i < cue.i
            and cue.left_edge.i > cue.head.i
            and any(c.dep_ == "nsubj" for c in children)
        ):
            # a lede: "The United States struck five sites, the Pentagon said, in ..."
            return self._finished(doc, [(cue.head.left_edge.i, cue.left_edge.i)])
        buried = self._buried_that_clause(cue)
        if buried is not None:
            return self._clauses(doc, buried, buried.right_edge.i + 1)
        if lemma in CCOMP_ONLY:
            return []
        right = [c for c in children if c.i > cue.i]
        first: Token | None = None
        for child in right:
            if child.dep_ in ("dobj", "obj") and child.lower_ in _REFLEXIVES:
                return []  # "a group calling itself ...": a name, not words
            if child.dep_ in ("dobj", "obj") and lemma in OBJECT_VERBS:
                if lemma in HEARER_VERBS and not any(
                    c.i > child.i
                    and (
                        c.dep_ in ("xcomp", "ccomp")
                        or (c.dep_ == "prep" and c.lower_ in HEARER_VERBS[lemma])
                    )
                    for c in (*right, *kids(child))
                ):
                    return []  # "told thousands of supporters": the audience, not words
                first = child
                break
            if child.dep_ == "xcomp" and lemma in XCOMP_VERBS:
                first = child
                break
            if child.dep_ == "prep" and lemma == "call" and child.lower_ in ("for", "on"):
                first = child
                break
            if child.dep_ == "dative" and lemma in OBJECT_VERBS:
                continue
        if first is None:
            return []
        start = first.left_edge.i
        end = first.right_edge.i + 1
        for child in right:
            if child.i <= first.i:
                continue
            if child.dep_ in ("punct", "cc"):
                continue
            if child.dep_ == "conj" and (
                any(g.dep_ in ("nsubj", "nsubjpass") for g in kids(child))
                or child.lemma_.lower() in REPORTING_VERBS
            ):
                break  # a new clause, or a second report that stands on its own
            between = doc[end : child.left_edge.i]
            if any(t.text in (",", ";", "—", "–") for t in between):
                break
            if child.dep_ in ("npadvmod",):
                continue
            end = max(end, child.right_edge.i + 1)
        return self._finished(doc, [(start, end)])

    @staticmethod
    def _buried_that_clause(cue: Token) -> Token | None:
        """The verb of ``that ...`` a few words after ``cue``, parsed lower down.

        ``told parliament before the vote that Iraq had two options`` is often
        parsed with the clause as a relative clause of ``vote``; a complementizer
        ``that`` (labelled ``mark``) shows it is the reported clause.
        """
        doc = cue.doc
        for j in range(cue.i + 1, min(len(doc), cue.i + 10)):
            tok = doc[j]
            if tok.text in (",", ";", ".", ":") or tok.is_quote:
                return None
            if tok.lower_ == "that" and tok.dep_ == "mark":
                head = tok.head
                if head.i > j and head.dep_ in ("relcl", "acl", "advcl"):
                    if any(c.dep_ in ("nsubj", "nsubjpass") for c in kids(head)):
                        return head
                return None
        return None

    def _clauses(self, doc: Doc, comp: Token, end: int) -> list[tuple[int, int]]:
        """Split a clausal complement into its reported clauses.

        ``said A and that B`` reports two clauses (the repeated ``that`` marks
        the second as a complement of ``said``, not part of A). ``said A and
        pledged that B`` is often parsed with ``pledged`` inside A: the
        complement stops there, and ``pledged`` reports B on its own.
        """
        for conj in kids(comp):
            if conj.dep_ != "conj" or conj.i < comp.i:
                continue
            own_subject = any(g.dep_ in ("nsubj", "nsubjpass") for g in kids(conj))
            if (
                _is_report_verb(conj)
                and not own_subject
                and (conj.lemma_.lower() not in _ACTION_LIKE or self.contents(conj))
            ):
                end = conj.left_edge.i
                break
        # "and that B" anywhere down the complement (the parser may hang it on
        # the last verb of A) starts a second reported clause
        segments: list[tuple[int, int]] = []
        seg_start = comp.left_edge.i
        for tok in doc[comp.i + 1 : min(end, comp.i + _MAX_CLAUSE)]:
            if tok.dep_ == "conj" and any(
                g.dep_ == "mark" and g.lower_ == "that" for g in kids(tok)
            ):
                cut = tok.left_edge.i
            elif tok.lower_ == "that" and tok.dep_ == "mark" and tok.nbor(-1).lower_ in _ANDS:
                cut = tok.i
            else:
                continue
            if cut > seg_start:
                segments.append((seg_start, cut))
                seg_start = cut
        segments.append((seg_start, end))
        return self._finished(doc, segments)

    def _finished(self, doc: Doc, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out = []
        for start, end in ranges:
            found = self._finish(doc, start, end)
            if found is not None:
                out.append(found)
        return out

    def _according(self, cue: Token) -> tuple[int, int] | None:
        head = cue.head
        if head == cue:
            return None
        own_start, own_end = _subtree_range(cue)
        h_start, h_end = _subtree_range(head)
        if own_start > h_start:
            start, end = h_start, own_start
        else:
            start, end = own_end, h_end
        return self._finish(cue.doc, start, end)

    def _finish(self, doc: Doc, start: int, end: int) -> tuple[int, int] | None:
        while start < end and doc[start].dep_ == "mark" and doc[start].lower_ in ("that",):
            start += 1
        start, end = _trimmed(doc, start, end)
        while end > start and (doc[end - 1].dep_ == "cc" or doc[end - 1].pos_ == "CCONJ"):
            start, end = _trimmed(doc, start, end - 1)
        if not _has_words(doc, start, end, self.min_words):
            return None
        return start, end


# --------------------------------------------------------------------------- finder


class QuoteFinder:
    """spaCy component writing ``doc.spans[QUOTES_KEY]`` (see module docstring)."""

    def __init__(
        self,
        *,
        find_indirect: bool = True,
        scare_quote_max_words: int = 6,
        max_quote_chars: int = 5000,
        min_indirect_words: int = 3,
        flow_paragraphs: int = 2,
    ) -> None:
        self.find_indirect = find_indirect
        self.min_clause_words = min_indirect_words
        self.scare_quote_max_words = scare_quote_max_words
        self.flow_paragraphs = flow_paragraphs
        self.scanner = QuoteMarkScanner(max_chars=max_quote_chars)
        self.sources = SourceLocator()
        self.contents = ContentExtractor(min_words=min_indirect_words)

    # ---- entry point
    def __call__(self, doc: Doc) -> Doc:
        try:
            found = self._find(doc)
        except Exception:  # noqa: BLE001 - a labeller must never fail on odd input
            found = []
        doc.spans[QUOTES_KEY] = self._to_spans(doc, found)
        return doc

    # ---- pipeline
    def _find(self, doc: Doc) -> list[Found]:
        if len(doc) == 0:
            return []
        paragraphs = self._paragraphs(doc)
        in_quote = [False] * len(doc)
        directs = self._directs(doc, paragraphs, in_quote)
        found = list(directs)
        if self.find_indirect:
            found.extend(self._indirects(doc, paragraphs, in_quote, directs))
        found.sort(key=lambda f: (f.start, f.end))
        return self._keep_flow(found)

    def _keep_flow(self, found: list[Found]) -> list[Found]:
        """Drop uncued quotes that no recent paragraph gives a speaker to.

        News writing introduces a speaker (with a direct *or* a reported quote)
        and then lets quote-only paragraphs carry on in that voice; an uncued
        quote far from any attribution is more likely a title or a slogan.
        """
        out: list[Found] = []
        last_para: int | None = None
        for item in found:
            if item.flow:
                if last_para is None or item.paragraph - last_para > self.flow_paragraphs:
                    continue
            out.append(item)
            last_para = item.paragraph
        return out

    def _paragraphs(self, doc: Doc) -> list[Paragraph]:
        out = []
        text = doc.text
        for start_char, end_char in paragraph_bounds(doc):
            span = doc.char_span(start_char, end_char, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            headline = is_headline(text[start_char:end_char])
            out.append(Paragraph(start_char, end_char, span.start, span.end, headline))
        return out

    # ---- direct quotes
    def _directs(self, doc: Doc, paragraphs: list[Paragraph], in_quote: list[bool]) -> list[Found]:
        text = doc.text
        raws = self.scanner.scan(text, paragraphs)
        spans: list[tuple[int, int, int]] = []
        raws_kept: list[RawQuote] = []
        for raw in raws:
            span = doc.char_span(raw.start_char, raw.end_char, alignment_mode="expand")
            if span is None:
                continue
            start, end = _trimmed(doc, span.start, span.end)
            if end <= start:
                continue
            para = paragraphs[raw.paragraph]
            if para.headline and not self._epigraph(doc, end, para):
                continue
            spans.append((start, end, raw.paragraph))
            raws_kept.append(raw)
            for i in range(span.start, span.end):
                in_quote[i] = True
        # mark the quote marks themselves as quoted material too
        for i, tok in enumerate(doc):
            if tok.is_quote and tok.text in _OPEN_MARKS + _CLOSE_MARKS + _STRAIGHT:
                in_quote[i] = True
        found: list[Found] = []
        by_raw: dict[int, Found] = {}
        for k, (start, end, p_index) in enumerate(spans):
            para = paragraphs[p_index]
            head = by_raw.get(k - 1) if raws_kept[k].continued else None
            if head is not None and head.paragraph == p_index - 1:
                # the next paragraph of a quotation: same cue and source as its first part
                item = Found(start, end, "direct", head.cue, head.mention, p_index, head.flow)
            else:
                cue = self._direct_cue(doc, start, end, para, in_quote)
                if cue is not None:
                    item = Found(start, end, "direct", cue[0], cue[1], p_index)
                elif self._continues(doc, start, end, para, in_quote):
                    item = Found(start, end, "direct", None, None, p_index, flow=True)
                else:
                    continue
            by_raw[k] = item
            found.append(item)
        return found

    @staticmethod
    def _epigraph(doc: Doc, end: int, para: Paragraph) -> bool:
        _, after = _tail_text(doc, end, para)
        return bool(_DASH_NAME_RE.match(after.lstrip(".,\"”' ")))

    @staticmethod
    def _window(doc: Doc, start: int, end: int, para: Paragraph) -> tuple[int, int]:
        """Token range of the sentences around a quote, clipped to its paragraph.

        Only the quote's own sentences are walked (not the whole paragraph), so
        the cost stays linear however long a paragraph is.
        """
        w_start, w_end = _sentence_range(doc, start, end, _MAX_REACH)
        return max(w_start, para.start), min(w_end, para.end)

    def _direct_cue(
        self, doc: Doc, start: int, end: int, para: Paragraph, in_quote: list[bool]
    ) -> tuple[tuple[int, int], tuple[int, int] | None] | None:
        """The cue and source mention of a direct quote, or None if it has none."""
        # 1. epigraph: "..." - Nelson Mandela (a short tail, so no long copy is made)
        tail_start, raw = _tail_text(doc, end, para)
        after = raw.lstrip(".,\"”' ")
        match = _DASH_NAME_RE.match(after)
        if match:
            base = tail_start + len(raw) - len(after)
            name = doc.char_span(
                base + match.start(1), base + match.end(1), alignment_mode="expand"
            )
            if name is not None:
                dash = doc.char_span(base, base + match.start(1), alignment_mode="expand")
                cue_range = (dash.start, dash.end) if dash is not None else (name.start, name.start)
                return cue_range, (name.start, name.end)
        w_start, w_end = self._window(doc, start, end, para)
        cue = self._dominating_cue(doc, start, end, w_start, w_end, in_quote)
        if cue is None:
            cue = self._nearest_cue(doc, start, end, w_start, w_end, in_quote)
        if cue is None:
            cue = self._colon_cue(doc, start, para, in_quote)
        if cue is None:
            cue = self._following_cue(doc, end, para, in_quote)
        if cue is None:
            return None
        mention = self._mention(cue, start, end, in_quote)
        outer = self._outer_cue(cue, w_start, in_quote)
        if outer is not None and (
            mention is None
            or doc[mention[1] - 1].pos_ == "PRON"
            or doc[mention[1] - 1].ent_type_ in ("GPE", "NORP")
        ):
            # "the spokesman said Iran welcomed “any step”": a country does not
            # speak, the spokesman does; "the office said he had ordered forces to
            # “pursue ...”": the words come from the office's statement
            outer_mention = self._mention(outer, start, end, in_quote)
            if outer_mention is not None:
                cue, mention = outer, outer_mention
        return (cue.i, cue.i + 1), mention

    def _outer_cue(self, cue: Token, w_start: int, in_quote: list[bool]) -> Token | None:
        """The reporting verb whose complement holds ``cue``'s clause, if any."""
        tok = cue
        for _ in range(4):
            if tok.dep_ not in ("ccomp", "conj", "xcomp", "advcl") or tok.head == tok:
                return None
            tok = tok.head
            if tok.i < w_start:
                return None
            if (
                not in_quote[tok.i]
                and _is_report_verb(tok)
                and tok.dep_ != "conj"
                and tok.lemma_.lower() not in ("report", "quote")
            ):
                if any(c.dep_ in ("nsubj", "nsubjpass") for c in kids(tok)):
                    return tok
        return None

    def _following_cue(
        self, doc: Doc, end: int, para: Paragraph, in_quote: list[bool]
    ) -> Token | None:
        """``“... still here?” Shammari told the rally.``: the attribution right after
        the closing mark, which the parser often puts in a sentence of its own."""
        i = end
        while i < para.end and (doc[i].is_punct or doc[i].is_space) and doc[i].text != ",":
            i += 1
        if i == end or i >= para.end:
            return None
        for j in range(i, min(para.end, i + 8)):
            tok = doc[j]
            if in_quote[j] or tok.text in (".", ";", ":", ",", "(", "—", "–"):
                return None
            if self._is_cue(tok) and tok.lemma_.lower() not in AMBIGUOUS_VERBS:
                heads = self.sources.heads(tok)
                if heads and i <= heads[0].i < j + 6:
                    return tok
                return None
        return None

    @staticmethod
    def _is_cue(tok: Token) -> bool:
        if tok.dep_ in ("amod", "compound") or (
            tok.i > 0 and tok.nbor(-1).text == "-" and not tok.nbor(-1).whitespace_
        ):
            return False  # "so-called", "the stated goal"
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in kids(tok)):
            return True
        return (
            tok.pos_ in ("VERB", "AUX")
            and tok.lemma_.lower() in REPORTING_VERBS
            and (
                tok.lemma_.lower() != "point"
                or any(c.dep_ == "prt" and c.lower_ == "out" for c in kids(tok))
            )
        )

    def _dominating_cue(
        self, doc: Doc, start: int, end: int, w_start: int, w_end: int, in_quote: list[bool]
    ) -> Token | None:
        """The nearest reporting verb above the quote in the parse."""
        roots = [t for t in doc[start:end] if not (start <= t.head.i < end) or t.head == t]
        best: tuple[int, Token] | None = None
        for root in roots:
            tok, depth = root, 0
            while tok.head != tok and depth < 12:
                child, tok, depth = tok, tok.head, depth + 1
                if not (w_start <= tok.i < w_end):
                    break
                if not in_quote[tok.i] and self._is_cue(tok):
                    if tok.lemma_.lower() in AMBIGUOUS_VERBS and child.dep_ not in _CONTENT_DEPS:
                        continue  # "would respond to attacks “when we decide”"
                    if child.dep_ in _SUBJ_DEPS:
                        break  # the quote is what is talked about: the “victory” was declared
                    if best is None or depth < best[0]:
                        best = (depth, tok)
                    break
        return best[1] if best else None

    def _nearest_cue(
        self, doc: Doc, start: int, end: int, w_start: int, w_end: int, in_quote: list[bool]
    ) -> Token | None:
        best: tuple[int, Token] | None = None
        for i in range(w_start, w_end):
            tok = doc[i]
            if in_quote[i] or not self._is_cue(tok):
                continue
            dist = start - i if i < start else i - end
            if any(c.dep_ in _SUBJ_DEPS and start <= c.i < end for c in kids(tok)):
                continue  # the quote is the subject: the “victory” was declared
            if tok.lemma_.lower() in AMBIGUOUS_VERBS and not (
                dist <= 3 or any(c.dep_ == "ccomp" for c in kids(tok))
            ):
                continue
            if best is None or dist < best[0]:
                best = (dist, tok)
        return best[1] if best else None

    def _colon_cue(
        self, doc: Doc, start: int, para: Paragraph, in_quote: list[bool]
    ) -> Token | None:
        """``He said:`` right before the quote (possibly in the previous sentence)."""
        i = start - 1
        while i >= para.start and (doc[i].is_quote or doc[i].is_space):
            i -= 1
        if i < para.start or doc[i].text != ":":
            return None
        for j in range(i - 1, max(para.start, i - 25) - 1, -1):
            if not in_quote[j] and self._is_cue(doc[j]):
                return doc[j]
        return None

    def _mention(
        self, cue: Token, start: int, end: int, in_quote: list[bool]
    ) -> tuple[int, int] | None:
        heads = [
            h for h in self.sources.heads(cue) if not (start <= h.i < end) and not in_quote[h.i]
        ]
        if not heads:
            return self._inverted_mention(cue, start, end)
        return self.sources.mention_range(heads[0], exclude=cue)

    @staticmethod
    def _inverted_mention(cue: Token, start: int, end: int) -> tuple[int, int] | None:
        """``..., said Renad Mansour``: a name right after the verb."""
        doc = cue.doc
        i = cue.i + 1
        if i < len(doc) and doc[i].ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
            ent = entity_at(doc[i])
            if ent is not None and not (start <= ent.start < end):
                return ent.start, ent.end
        return None

    def _continues(
        self, doc: Doc, start: int, end: int, para: Paragraph, in_quote: list[bool]
    ) -> bool:
        """Whether an uncued quote makes up its sentences (a speaker carrying on)."""
        w_start, w_end = self._window(doc, start, end, para)
        outside = [
            t for t in doc[w_start:w_end] if not in_quote[t.i] and (t.is_alpha or t.like_num)
        ]
        inside = _words(doc, start, end)
        if inside <= self.scare_quote_max_words and outside:
            return False
        return len(outside) <= max(2, inside // 4)

    # ---- indirect quotes
    def _indirects(
        self,
        doc: Doc,
        paragraphs: list[Paragraph],
        in_quote: list[bool],
        directs: list[Found],
    ) -> list[Found]:
        # Per-token lookups and prefix counts keep every check O(1), so the pass is
        # linear in the article however many quotes it holds.
        direct_of = [-1] * len(doc)
        for k, f in enumerate(directs):
            for i in range(f.start, f.end):
                direct_of[i] = k
        direct_count = [0]
        for k in direct_of:
            direct_count.append(direct_count[-1] + (k >= 0))
        candidates: list[tuple[Token, tuple[int, int], list[Token], int]] = []
        for p_index, para in enumerate(paragraphs):
            if para.headline:
                continue
            for tok in doc[para.start : para.end]:
                if not self._is_cue(tok) or not self._plausible_cue(tok):
                    continue
                contents = self.contents.contents(tok)
                if not contents:
                    continue
                c_all = (contents[0][0], contents[-1][1])
                if c_all[0] < para.start or c_all[1] > para.end:
                    continue
                heads = [h for h in self.sources.heads(tok) if not (c_all[0] <= h.i < c_all[1])]
                if not heads or not self._speaking_subject(tok, heads[0]):
                    continue
                cue_quote = direct_of[tok.i]
                if cue_quote >= 0 and not self._named(heads[0]):
                    continue
                for c_start, c_end in contents:
                    inside = direct_count[c_end] - direct_count[c_start]
                    if cue_quote >= 0:
                        q = directs[cue_quote]
                        inside -= max(0, min(c_end, q.end) - max(c_start, q.start))
                    if inside > 0:
                        # the direct quote is the better unit; a complete clause
                        # before it ("said A and “B”", "said A “while B”") is one too
                        head_part = self._clause_before_quote(doc, c_start, c_end, direct_of)
                        if head_part is None:
                            continue
                        c_start, c_end = head_part
                    candidates.append((tok, (c_start, c_end), heads, p_index))
        return self._outer_or_inner(doc, candidates)

    def _outer_or_inner(
        self, doc: Doc, candidates: list[tuple[Token, tuple[int, int], list[Token], int]]
    ) -> list[Found]:
        """Choose between a report and a report inside its content.

        ``Salman said the ministry had promised to pay``: the speaker's words are
        the unit, the inner verb is part of them. A relay (``X said Y, Reuters
        reported``, ``... the agency quoted him as saying``) is the other way
        round: the inner report is the quote and the relay only its channel.
        Prefix counts keep this linear in the article.
        """
        n = len(doc)
        finite = [False] * n
        relay = [False] * n
        for tok, _, _, _ in candidates:
            finite[tok.i] = tok.lower_ == "according" or any(
                c.dep_ in ("nsubj", "nsubjpass") for c in kids(tok)
            )
            relay[tok.i] = tok.lemma_.lower() in RELAY_VERBS
        # "X said Y, state television reported" parsed with the relay inside Y:
        # Y stops where the relay's clause starts
        relay_start = [n] * (n + 1)  # first token of a relay clause at or after i
        for tok, _, _, _ in candidates:
            if relay[tok.i]:
                begin = min([tok.i] + [c.left_edge.i for c in kids(tok) if c.dep_ in _SUBJECTS])
                relay_start[begin] = begin
        for i in range(n - 1, -1, -1):
            relay_start[i] = min(relay_start[i], relay_start[i + 1])
        trimmed: list[tuple[Token, tuple[int, int], list[Token], int]] = []
        for tok, (c_start, c_end), heads, p_index in candidates:
            if not relay[tok.i] and relay_start[c_start] < c_end:
                found = self.contents._finish(doc, c_start, relay_start[c_start])
                if found is None:
                    continue
                c_start, c_end = found
            trimmed.append((tok, (c_start, c_end), heads, p_index))
        cover = [0] * (n + 1)  # contents of speakers (not relays), as a difference array
        spoken: set[tuple[int, int]] = set()
        for tok, (c_start, c_end), _, _ in trimmed:
            if not relay[tok.i]:
                cover[c_start] += 1
                cover[c_end] -= 1
                spoken.add((c_start, c_end))
        finite_count = [0] * (n + 1)
        covered = [0] * n
        running = 0
        for i in range(n):
            finite_count[i + 1] = finite_count[i] + finite[i]
            running += cover[i]
            covered[i] = running
        out: list[Found] = []
        for tok, (c_start, c_end), heads, p_index in trimmed:
            own = c_start <= tok.i < c_end
            if relay[tok.i]:
                inner = finite_count[c_end] - finite_count[c_start] - (own and finite[tok.i])
                if inner > 0 or (c_start, c_end) in spoken:
                    continue
            elif covered[tok.i] - own > 0:
                continue
            if c_end - c_start <= _ANONYMITY_WORDS and _ANONYMITY_RE.search(
                doc[c_start:c_end].text
            ):
                continue  # "asked not to be named": about the sourcing, not reported words
            for head in heads:
                mention = self.sources.mention_range(head, exclude=tok)
                out.append(Found(c_start, c_end, "indirect", (tok.i, tok.i + 1), mention, p_index))
        return out

    def _clause_before_quote(
        self, doc: Doc, start: int, end: int, direct_of: list[int]
    ) -> tuple[int, int] | None:
        """The reported clause before the first direct quote inside ``start:end``.

        ``said the talks had stalled and “will not resume soon”``: the quote is a
        conjoined predicate, so the clause before it is a second, indirect unit
        (the coordination rule of ``said A and that B``). A quote that completes
        the clause (``said the plan had been “a success”``) or only adds an
        adjunct to it (``were there “at the invitation of ...”``) leaves no unit
        of its own; so does a quote inside a conjoined predicate (``and would not
        allow “a handful of people” to ...``), where the words around it are the
        speaker's paraphrase of the quoted part.
        """
        first = start
        while first < end and direct_of[first] < 0:
            first += 1
        q_start, q_end = first, first
        while q_end < end and direct_of[q_end] == direct_of[first]:
            q_end += 1
        p_start, p_end = _trimmed(doc, start, first)
        while p_end > p_start and (
            doc[p_end - 1].pos_ in ("CCONJ", "SCONJ")
            or (doc[p_end - 1].dep_ in _QUOTE_SIDE_DEPS and q_start <= doc[p_end - 1].head.i)
        ):
            # "... and were “closing the road”": the conjunction and the auxiliary
            # belong with the quoted predicate
            p_start, p_end = _trimmed(doc, p_start, p_end - 1)
        if not _has_words(doc, p_start, p_end, self.min_clause_words):
            return None
        if doc[p_end - 1].pos_ in ("AUX", "ADP", "DET", "PART"):
            return None
        conjoined = False
        for tok in doc[q_start:q_end]:
            if not (q_start <= tok.head.i < q_end) and p_start <= tok.head.i < p_end:
                if tok.dep_ == "conj":
                    conjoined = True
                elif tok.dep_ != "punct":
                    return None
        if not conjoined:
            return None
        if any(
            q_start <= tok.head.i < q_end and tok.dep_ in _CORE_DEPS for tok in doc[p_start:p_end]
        ):
            return None  # the clause leans on the quote (its subject, say)
        return p_start, p_end

    @staticmethod
    def _plausible_cue(tok: Token) -> bool:
        """Rules out hypothetical, infinitival and relative uses of a reporting verb."""
        if tok.lower_ == "according":
            return True
        for child in kids(tok):
            if child.dep_ == "aux" and child.lower_ in SPECULATIVE_AUX:
                return False
            if child.dep_ == "aux" and child.lower_ == "to":
                return False
        if tok.dep_ in ("amod", "compound"):
            return False
        return True

    @staticmethod
    def _named(head: Token) -> bool:
        return head.ent_type_ in ("PERSON", "ORG")

    @staticmethod
    def _speaking_subject(cue: Token, head: Token) -> bool:
        """Whether ``head`` can be the source of what ``cue`` reports."""
        if head.lower_ in NON_AGENT_PRONOUNS:
            return False
        if cue.lemma_.lower() not in WEAK_VERBS:
            return True
        if head.pos_ == "PRON" or head.ent_type_ in ("PERSON", "ORG", "GPE", "NORP"):
            return True
        return head.lower_ in SOURCE_NOUNS or head.lemma_.lower() in SOURCE_NOUNS

    # ---- output
    @staticmethod
    def _to_spans(doc: Doc, found: Iterable[Found]) -> SpanGroup:
        spans: list[Span] = []
        used: set[tuple[int, int]] = set()
        for item in found:
            start, end = item.start, item.end
            # Span extensions are keyed by character offsets, so a second quote
            # with the same text (a second conjoined speaker) gets a distinct
            # trailing punctuation token or is dropped.
            if (start, end) in used:
                moved = None
                for extra in range(1, 3):
                    if end + extra <= len(doc) and all(
                        t.is_punct or t.is_space for t in doc[end : end + extra]
                    ):
                        if (start, end + extra) not in used:
                            moved = (start, end + extra)
                            break
                if moved is None and start > 0 and (start - 1, end) not in used:
                    moved = (start - 1, end)
                if moved is None:
                    continue
                start, end = moved
            used.add((start, end))
            span = Span(doc, start, end, label=item.kind)
            span._.sw_kind = item.kind
            span._.sw_cue = doc[item.cue[0] : item.cue[1]] if item.cue else None
            span._.sw_mention = doc[item.mention[0] : item.mention[1]] if item.mention else None
            span._.sw_speaker = None
            span._.sw_attribution = None
            spans.append(span)
        return SpanGroup(doc, name=QUOTES_KEY, spans=spans)


@Language.factory(
    "stancewire_quotes",
    default_config={
        "find_indirect": True,
        "scare_quote_max_words": 6,
        "max_quote_chars": 5000,
        "min_indirect_words": 3,
        "flow_paragraphs": 2,
    },
)
def make_quote_finder(
    nlp: Language,
    name: str,
    *,
    find_indirect: bool = True,
    scare_quote_max_words: int = 6,
    max_quote_chars: int = 5000,
    min_indirect_words: int = 3,
    flow_paragraphs: int = 2,
) -> QuoteFinder:
    """Factory of :class:`QuoteFinder` (registered as ``stancewire_quotes``).

    Args:
        nlp: the pipeline (unused; spaCy passes it).
        name: the component name.
        find_indirect: also extract reported speech, not only quotation marks.
        scare_quote_max_words: an uncued quoted phrase up to this long, inside
            narration, is a scare quote or title, not a quote.
        max_quote_chars: longer "quotations" come from stray marks; drop them.
        min_indirect_words: shortest reported content kept ("said so" is not).
        flow_paragraphs: how far back an uncued quote may continue a speaker.
    """
    return QuoteFinder(
        find_indirect=find_indirect,
        scare_quote_max_words=scare_quote_max_words,
        max_quote_chars=max_quote_chars,
        min_indirect_words=min_indirect_words,
        flow_paragraphs=flow_paragraphs,
    )
