"""Quote finding: direct quotations and reported speech (ANNOTATION.md section 1).

The finder writes ``doc.spans[QUOTES_KEY]``: one span per quote, in document
order, with ``sw_kind``, ``sw_cue`` and ``sw_mention`` set. Speakers are resolved
later by :mod:`stancewire.models.components.speakers`, which only needs the
mention and the cue.

Design, and why:

* Quotation marks are paired per paragraph with a small state machine rather
  than a regex, so that a stray or unbalanced mark can cost at most its own
  sentence, never the rest of the article. Curly marks are directional;
  straight marks are read from the characters around them.
* A direct quote is attributed through the dependency tree first (the nearest
  reporting verb that dominates the quote), then by proximity; quotes with no
  cue are kept only when they make up their sentence (a speaker carrying on),
  which is what tells a quotation from a scare quote or a title.
* Indirect quotes come from a lexicon of reporting verbs and their complements.
  A reporting verb whose complement already holds a direct quote yields no
  indirect quote: the direct one is the better unit.
* Paragraphs are hard boundaries: a sentence never spans two of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
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
    threaten brand label dismiss charge contend maintain stipulate decry slam blast""".split()
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
    dismiss hail decry slam blast brand label charge assure promise pledge""".split()
)
"""Verbs whose object (plus its ``to``/``as``/``of`` complement) is the reported content."""

XCOMP_VERBS: frozenset[str] = frozenset(
    "vow pledge promise propose swear demand ask urge order tell warn call threaten".split()
)
"""Verbs whose infinitival / gerund complement is the reported content."""

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
_END_PUNCT = '.!?"”’:)»'
_TRIM_CHARS = " \t\n\r,;:.-–—\"“”„«»'‘’"

# --------------------------------------------------------------------------- paragraphs


def paragraph_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Character ranges of the paragraphs of ``doc``.

    Uses ``doc._.sw_paragraphs`` when the caller set it (the cleaner knows the
    real paragraph structure), otherwise splits on blank lines.
    """
    given = doc._.sw_paragraphs
    if given:
        out = []
        for item in given:
            try:
                start, end = int(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 <= start < end <= len(doc.text):
                out.append((start, end))
        if out:
            return sorted(out)
    bounds: list[tuple[int, int]] = []
    pos = 0
    for match in _PARA_RE.finditer(doc.text):
        if match.start() > pos:
            bounds.append((pos, match.start()))
        pos = match.end()
    if pos < len(doc.text):
        bounds.append((pos, len(doc.text)))
    return bounds


class ParagraphSegmenter:
    """Marks each paragraph start as a sentence start, before the parser runs.

    Why: the parser then never builds a tree across a blank line, so a headline
    or a photo caption cannot become the subject of the next paragraph's verb.
    """

    def __call__(self, doc: Doc) -> Doc:
        try:
            bounds = paragraph_bounds(doc)
            if doc._.sw_paragraphs is None:
                doc._.sw_paragraphs = bounds
            for start, _end in bounds:
                span = doc.char_span(start, start + 1, alignment_mode="expand")
                if span is not None and span.start > 0:
                    doc[span.start].is_sent_start = True
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


@dataclass
class Found:
    """A quote ready to become a span."""

    start: int
    end: int
    kind: str
    cue: tuple[int, int] | None
    mention: tuple[int, int] | None


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
    words = stripped.split()
    return len(words) <= max_words and stripped[-1] not in _END_PUNCT


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
    otherwise the open quotation is closed at the end of its sentence, so a stray
    mark never swallows the rest of the article.
    """

    def __init__(self, *, max_chars: int = 5000) -> None:
        self.max_chars = max_chars

    def scan(self, text: str, paragraphs: list[Paragraph]) -> list[RawQuote]:
        """All quoted stretches, in order (content only, marks excluded)."""
        found: list[RawQuote] = []
        carry: int | None = None  # start char of a quote continuing from the last paragraph
        carry_para = 0
        for p_index, para in enumerate(paragraphs):
            ptext = text[para.start_char : para.end_char]
            marks = [(m.start() + para.start_char, m.group()) for m in _MARKS_RE.finditer(ptext)]
            open_at: int | None = None
            open_para = p_index
            if carry is not None:
                first = ptext.lstrip()
                if first and first[0] in _OPEN_MARKS + _STRAIGHT and marks:
                    open_at, open_para = carry, carry_para
                    marks = marks[1:]
                carry = None
            for pos, mark in marks:
                direction = (
                    "open"
                    if mark in _OPEN_MARKS
                    else "close"
                    if mark in _CLOSE_MARKS
                    else _straight_direction(text, pos)
                )
                if direction is None:
                    direction = "close" if open_at is not None else "open"
                if direction == "open":
                    if open_at is not None:
                        end = self._cut_unterminated(text, open_at, pos)
                        self._emit(found, open_at, end, open_para)
                    open_at, open_para = pos + 1, p_index
                elif open_at is not None:
                    self._emit(found, open_at, pos, open_para)
                    open_at = None
            if open_at is not None:
                nxt = paragraphs[p_index + 1] if p_index + 1 < len(paragraphs) else None
                nxt_text = text[nxt.start_char : nxt.end_char].lstrip() if nxt else ""
                if nxt_text and nxt_text[0] in _OPEN_MARKS + _STRAIGHT:
                    carry, carry_para = open_at, open_para
                else:
                    end = self._sentence_end(text, open_at, para.end_char)
                    self._emit(found, open_at, end, open_para)
        return found

    def _emit(self, found: list[RawQuote], start: int, end: int, para: int) -> None:
        if end - start > 0 and end - start <= self.max_chars:
            found.append(RawQuote(start, end, para))

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
            for child in cue.children:
                if child.dep_ == "prep" and child.lower_ == "to":
                    objs = [c for c in child.children if c.dep_ == "pobj"]
                    if objs:
                        return self._conjuncts(objs[0])
            return []
        verb = cue
        for _ in range(self.max_hops):
            subjects = [c for c in verb.children if c.dep_ in ("nsubj", "csubj")]
            passive = [c for c in verb.children if c.dep_ == "nsubjpass"]
            agents = [
                g
                for c in verb.children
                if c.dep_ == "agent"
                for g in c.children
                if g.dep_ == "pobj"
            ]
            if agents:
                return self._conjuncts(agents[0])
            if subjects:
                return self._conjuncts(self._best_subject(subjects))
            if passive and verb.lemma_ == "quote":
                return self._conjuncts(passive[0])  # "X was quoted as saying"
            if passive and verb.lemma_ not in ("tell", "ask", "urge", "warn", "inform"):
                return []
            if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN", "PRON"):
                if verb.dep_ == "relcl":
                    return self._conjuncts(verb.head)
                return [verb.head]
            if verb.dep_ in ("advcl", "xcomp", "conj", "ccomp", "pcomp", "prep") and (
                verb.head != verb
            ):
                verb = verb.head
                continue
            return []
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
        for tok in head.conjuncts:
            if tok.i < head.i or tok.pos_ not in ("NOUN", "PROPN", "PRON"):
                continue
            if any(c.lower_ in ("other", "others") for c in tok.subtree) or tok.lower_ == "others":
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
        if head.ent_iob_ in ("B", "I"):
            ent = next((e for e in doc.ents if e.start <= head.i < e.end), None)
        else:
            ent = None
        start, end = head.left_edge.i, head.right_edge.i + 1
        for child in head.children:
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
            if doc[i].text in (",", "(", "—", "–", ";") or doc[i].is_quote:
                end = i
                break
        for i in range(head.i - 1, start - 1, -1):
            if doc[i].text in (",", ")", ";") or doc[i].is_quote:
                start = i + 1
                break
        if ent is not None:
            start, end = min(start, ent.start), max(end, ent.end)
        relcl = [c for c in head.children if c.dep_ == "relcl" and c.right_edge.i + 1 == end]
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

    def content(self, cue: Token) -> tuple[int, int] | None:
        if cue.lower_ == "according":
            return self._according(cue)
        lemma = cue.lemma_.lower()
        children = list(cue.children)
        ccomps = [c for c in children if c.dep_ == "ccomp"]
        if lemma == "point" and not any(c.dep_ == "prt" and c.lower_ == "out" for c in children):
            return None
        if lemma == "call":
            ccomps = []
        after = [c for c in ccomps if c.i > cue.i]
        if after:
            start, end = after[0].left_edge.i, after[-1].right_edge.i + 1
            return self._finish(cue.doc, start, end)
        if ccomps:
            comp = ccomps[-1]
            start, end = _subtree_range(comp)
            if cue.i < end:
                return None
            return self._finish(cue.doc, start, end)
        if lemma in CCOMP_ONLY:
            return None
        right = [c for c in children if c.i > cue.i]
        first: Token | None = None
        for child in right:
            if child.dep_ in ("dobj", "obj") and lemma in OBJECT_VERBS:
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
            return None
        start = first.left_edge.i
        end = first.right_edge.i + 1
        for child in right:
            if child.i <= first.i:
                continue
            if child.dep_ in ("punct", "cc"):
                continue
            if child.dep_ == "conj" and (
                any(g.dep_ in ("nsubj", "nsubjpass") for g in child.children)
                or child.lemma_.lower() in REPORTING_VERBS
            ):
                break  # a new clause, or a second report that stands on its own
            between = cue.doc[end : child.left_edge.i]
            if any(t.text in (",", ";", "—", "–") for t in between):
                break
            if child.dep_ in ("npadvmod",):
                continue
            end = max(end, child.right_edge.i + 1)
        return self._finish(cue.doc, start, end)

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
        if _words(doc, start, end) < self.min_words:
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
        return found

    def _paragraphs(self, doc: Doc) -> list[Paragraph]:
        out = []
        for start_char, end_char in paragraph_bounds(doc):
            span = doc.char_span(start_char, end_char, alignment_mode="expand")
            if span is None or len(span) == 0:
                continue
            text = doc.text[start_char:end_char]
            out.append(Paragraph(start_char, end_char, span.start, span.end, is_headline(text)))
        return out

    @staticmethod
    def _sentences(doc: Doc, para: Paragraph) -> Iterator[tuple[int, int]]:
        """Sentences clipped to ``para`` (paragraph boundaries are hard)."""
        start = para.start
        for i in range(para.start + 1, para.end):
            if doc[i].is_sent_start:
                yield start, i
                start = i
        yield start, para.end

    # ---- direct quotes
    def _directs(self, doc: Doc, paragraphs: list[Paragraph], in_quote: list[bool]) -> list[Found]:
        raws = self.scanner.scan(doc.text, paragraphs)
        spans: list[tuple[int, int, int]] = []
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
            for i in range(span.start, span.end):
                in_quote[i] = True
        # mark the quote marks themselves as quoted material too
        for i, tok in enumerate(doc):
            if tok.is_quote and tok.text in _OPEN_MARKS + _CLOSE_MARKS + _STRAIGHT:
                in_quote[i] = True
        found: list[Found] = []
        last_attributed_para = -10
        for start, end, p_index in spans:
            para = paragraphs[p_index]
            cue = self._direct_cue(doc, start, end, para, in_quote)
            if cue is not None:
                cue_range, mention = cue
                found.append(Found(start, end, "direct", cue_range, mention))
                last_attributed_para = p_index
                continue
            if self._continues(doc, start, end, para, in_quote) and (
                p_index - last_attributed_para <= self.flow_paragraphs
            ):
                found.append(Found(start, end, "direct", None, None))
                last_attributed_para = p_index
        return found

    @staticmethod
    def _epigraph(doc: Doc, end: int, para: Paragraph) -> bool:
        after = doc.text[doc[end - 1].idx + len(doc[end - 1]) : para.end_char]
        return bool(_DASH_NAME_RE.match(after.lstrip(".,\"”' ")))

    def _window(self, doc: Doc, start: int, end: int, para: Paragraph) -> tuple[int, int]:
        """Token range of the sentences around a quote, clipped to its paragraph."""
        w_start, w_end = start, end
        for s_start, s_end in self._sentences(doc, para):
            if s_end > start and s_start < end:
                w_start, w_end = min(w_start, s_start), max(w_end, s_end)
        return max(w_start, para.start), min(w_end, para.end)

    def _direct_cue(
        self, doc: Doc, start: int, end: int, para: Paragraph, in_quote: list[bool]
    ) -> tuple[tuple[int, int], tuple[int, int] | None] | None:
        """The cue and source mention of a direct quote, or None if it has none."""
        # 1. epigraph: "..." - Nelson Mandela
        tail_end = para.end_char
        after = doc.text[doc[end - 1].idx + len(doc[end - 1]) : tail_end]
        after = after.lstrip(".,\"”' ")
        match = _DASH_NAME_RE.match(after)
        if match:
            base = tail_end - len(after)
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
            return None
        return (cue.i, cue.i + 1), self._mention(cue, start, end, in_quote)

    @staticmethod
    def _is_cue(tok: Token) -> bool:
        if tok.dep_ in ("amod", "compound") or (tok.i > 0 and tok.nbor(-1).text == "-"):
            return False  # "so-called", "the stated goal"
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            return True
        return (
            tok.pos_ in ("VERB", "AUX")
            and tok.lemma_.lower() in REPORTING_VERBS
            and (
                tok.lemma_.lower() != "point"
                or any(c.dep_ == "prt" and c.lower_ == "out" for c in tok.children)
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
                tok, depth = tok.head, depth + 1
                if not (w_start <= tok.i < w_end):
                    break
                if not in_quote[tok.i] and self._is_cue(tok):
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
            ent = next((e for e in doc.ents if e.start <= i < e.end), None)
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
        direct_ranges = [(f.start, f.end) for f in directs]
        candidates: list[tuple[Token, tuple[int, int], list[Token]]] = []
        for para in paragraphs:
            if para.headline:
                continue
            for tok in doc[para.start : para.end]:
                if not self._is_cue(tok) or not self._plausible_cue(tok):
                    continue
                content = self.contents.content(tok)
                if content is None:
                    continue
                c_start, c_end = content
                if c_start < para.start or c_end > para.end:
                    continue
                heads = [h for h in self.sources.heads(tok) if not (c_start <= h.i < c_end)]
                if not heads or not self._speaking_subject(tok, heads[0]):
                    continue
                cue_quote = next((r for r in direct_ranges if r[0] <= tok.i < r[1]), None)
                if cue_quote is not None and not self._named(heads[0]):
                    continue
                overlaps = any(
                    r is not cue_quote and r[0] < c_end and c_start < r[1] for r in direct_ranges
                )
                if overlaps:
                    continue
                candidates.append((tok, content, heads))
        # an outer report of a report ("X said Y, Z reported") keeps the inner one
        cue_positions = {tok.i for tok, _, _ in candidates}
        out: list[Found] = []
        for tok, (c_start, c_end), heads in candidates:
            if any(c_start <= i < c_end for i in cue_positions if i != tok.i):
                continue
            for head in heads:
                mention = self.sources.mention_range(head, exclude=tok)
                out.append(Found(c_start, c_end, "indirect", (tok.i, tok.i + 1), mention))
        return out

    @staticmethod
    def _plausible_cue(tok: Token) -> bool:
        """Rules out hypothetical, infinitival and relative uses of a reporting verb."""
        if tok.lower_ == "according":
            return True
        for child in tok.children:
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
