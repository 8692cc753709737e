"""Cleaning stage: a raw article (plain text or scraped HTML) -> labelled-ready paragraphs.

Why this stage exists: scraped pages carry markup, entities, navigation crumbs
(``top of page``), section labels (``Middle East``), "related article" headlines
and often the whole body twice. Fed as is, the quote finder would label markup,
attribute quotes across glued headlines, and emit every quote twice. Cleaning
removes that noise while keeping an exact map from every cleaned character back
to the raw input, so predicted spans can always be reported in the article *as
given* (the annotation guide's ``text``).

Why not ``html.parser.HTMLParser``: with ``convert_charrefs=False`` (needed for
exact entity offsets) it is quadratic on unclosed tags (``"<a " * 100_000`` takes
minutes) and, after a malformed ``&#``, passes the rest of the page, tags
included, as text. The tokenizer below is a handful of regexes whose
alternatives never backtrack across a ``<``, so it is linear and cannot raise.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.entities import html5 as _HTML5
from types import MappingProxyType

__all__ = ["CleanText", "clean_article", "looks_like_html", "strip_invisible"]

_EMPTY_ENDS: Mapping[int, int] = MappingProxyType({})


@dataclass(frozen=True)
class CleanText:
    """The cleaned article and how it maps back to the raw input.

    Attributes:
        text: Cleaned text; kept paragraphs joined by ``"\\n\\n"``.
        to_raw: ``len(text) + 1`` raw indices. ``to_raw[i]`` is where clean char
            ``i`` comes from (the start of its entity for decoded entities, the
            first raw char of a collapsed whitespace run; for the synthesized
            paragraph separator, the raw chars right after the previous paragraph).
            ``to_raw[len(text)]`` is the raw end of the last kept char (0 when
            nothing is kept).
        paragraphs: ``(start, end)`` of each kept paragraph in ``text``.
        dropped: ``(reason, snippet)`` for every dropped line or paragraph, so a
            surprising omission can be explained without re-running anything.
        raw_ends: For chars decoded from an entity, clean index -> raw end of the
            entity; lets ``raw_span`` cover a whole ``&rdquo;`` rather than its
            ``&``. Other chars span exactly one raw char.
    """

    text: str
    to_raw: tuple[int, ...]
    paragraphs: tuple[tuple[int, int], ...]
    dropped: tuple[tuple[str, str], ...]
    raw_ends: Mapping[int, int] = field(
        default_factory=lambda: _EMPTY_ENDS, repr=False, compare=False
    )

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean span ``[start, end)`` to the raw span covering exactly those chars.

        Downstream stages work on ``text`` but must report offsets into the
        article as given, so every span goes through here.

        Args:
            start: Clean start offset.
            end: Clean end offset (exclusive), ``start <= end <= len(text)``.

        Returns:
            ``(s, e)`` with ``raw[s:e]`` covering the chars: ``s = to_raw[start]``
            and ``e`` the raw end of char ``end - 1`` (``to_raw[end - 1] + 1``,
            or the end of its entity). An empty span maps to an empty raw span.

        Raises:
            ValueError: If the offsets are out of range or reversed.
        """
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(
                f"bad clean span [{start}, {end}) for a text of length {len(self.text)}"
            )
        if start == end:
            pos = self.to_raw[start]
            return pos, pos
        last = end - 1
        return self.to_raw[start], self.raw_ends.get(last, self.to_raw[last] + 1)


# --------------------------------------------------------------------------- HTML tokenizer

# Alternatives start with "<" or "&" and scan no further than the next "<", so a
# search over the whole page stays linear even on garbage such as "<a " * 10**5.
_MARKUP_RE = re.compile(
    r"""
      <!--.*?(?:-->|\Z)                                   # comment (unterminated: to the end)
    | <![^<>]*>                                           # doctype, CDATA opener
    | <\?[^<>]*>                                          # processing instruction
    | (?P<tag></?(?P<name>[A-Za-z][^\s/<>]*)
               (?:[^<>"']|"[^"<]*"|'[^'<]*')*>)           # tag with quoted attributes
    | (?P<tag2></?(?P<name2>[A-Za-z][^\s/<>]*)[^<>]*>)    # tag with broken quoting
    | </?[A-Za-z][^<>]*\Z                                 # tag cut off by the end of input
    | (?P<ent>&(?:\#[0-9]{1,7};?|\#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};?))
    """,
    re.S | re.X,
)
_RAW_TEXT_CLOSE = {
    "script": re.compile(r"</script\s*>", re.I),
    "style": re.compile(r"</style\s*>", re.I),
}
# Elements whose text becomes its own paragraph.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html li "
    "main menu nav ol p pre section summary table tbody td tfoot th thead title tr ul".split()
)
_VOID_BREAKS = frozenset({"br", "hr"})
# Elements whose whole content is page furniture, not article text.
_SKIP_TAGS = frozenset(
    "script style noscript nav header footer aside figure figcaption form button template "
    "svg iframe select textarea head title object canvas".split()
)
# Text inside these is paragraph content; text outside them, between <p>s, is "loose".
_PARA_TAGS = frozenset("p li td th dd dt blockquote pre address caption summary".split())
# Opening one of these implicitly closes an open <p> (HTML's optional end tag).
_CLOSES_P = frozenset(
    "address article aside blockquote details div dl fieldset figure footer form h1 h2 h3 h4 "
    "h5 h6 header hgroup hr main menu nav ol p pre section table ul".split()
)
_TEXT, _ENT, _TAG = 0, 1, 2
# Invisible format characters: soft hyphen, zero-width (non-)joiners and spaces,
# word joiner and invisible operators, bidi marks, embeddings, overrides and
# isolates, the Arabic letter mark, the BOM. They are dropped (the offset map
# skips them): inside a name ("Ali\u2066 Hussein") they would split the tokens
# spaCy sees, and in a speaker string they are invisible noise.
_INVISIBLE = "\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]+")


def strip_invisible(text: str) -> str:
    """``text`` without the invisible format characters the cleaner drops."""
    return _INVISIBLE_RE.sub("", text)


# Whitespace (collapsed) or invisible format chars (dropped) inside HTML text.
_HTML_GAP_RE = re.compile(f"(\\s+)|[{_INVISIBLE}]+")
_BLANK_LINE_RE = re.compile(r"\n[^\S\n]*\n")


def _decode_entity(raw: str, start: int, end: int) -> tuple[str, int] | None:
    """Decode the entity candidate ``raw[start:end]``.

    Returns ``(decoded, raw_end)``, or ``None`` when it is not an entity (``R&D``,
    ``&foo;``) and must stay literal text. Semicolon-less names are matched by
    longest legacy prefix as browsers do (``&ampx`` is ``&`` + ``x``), so the
    entity's raw extent is exact.
    """
    body = raw[start + 1 : end]
    if body.startswith("#"):
        decoded = html.unescape(raw[start:end])
        return (decoded, end) if decoded != raw[start:end] else None
    name = body[:-1] if body.endswith(";") else body
    if body.endswith(";") and body in _HTML5:
        return _HTML5[body], end
    for k in range(min(len(name), 8), 1, -1):
        if name[:k] in _HTML5:  # keys without ";" are exactly the legacy names
            return _HTML5[name[:k]], start + 1 + k
    return None


def _tokenize_html(raw: str) -> list[tuple[int, int, int, str, bool, bool]]:
    """Split ``raw`` into text, entity and tag tokens with exact raw offsets.

    Tokens are ``(kind, start, end, payload, closing, self_closing)`` where
    payload is the lowercased tag name or the decoded entity. Comments,
    declarations and the content of script/style are consumed silently.
    """
    tokens: list[tuple[int, int, int, str, bool, bool]] = []
    pos = 0
    n = len(raw)
    while pos < n:
        m = _MARKUP_RE.search(raw, pos)
        if m is None:
            tokens.append((_TEXT, pos, n, "", False, False))
            break
        ms, me = m.span()
        if ms > pos:
            tokens.append((_TEXT, pos, ms, "", False, False))
        if m.group("ent") is not None:
            hit = _decode_entity(raw, ms, me)
            if hit is None:
                tokens.append((_TEXT, ms, me, "", False, False))
            else:
                tokens.append((_ENT, ms, hit[1], hit[0], False, False))
                me = hit[1]
        elif m.group("tag") is not None or m.group("tag2") is not None:
            name = (m.group("name") or m.group("name2") or "").lower()
            closing = raw.startswith("</", ms)
            self_closing = raw.endswith("/>", ms, me)
            tokens.append((_TAG, ms, me, name, closing, self_closing))
            close_re = _RAW_TEXT_CLOSE.get(name)
            if close_re is not None and not closing and not self_closing:
                # Script/style content is never text; unclosed, it runs to the end
                # (browser behaviour).
                close = close_re.search(raw, me)
                me = n if close is None else close.start()
        pos = me
    return tokens


def _skip_targets(tokens: list[tuple[int, int, int, str, bool, bool]]) -> dict[int, int]:
    """Map each *closed* furniture start tag (nav, aside...) to the token index to resume at.

    An unclosed ``<aside>`` in truncated HTML must not swallow the rest of the
    article, so unmatched starts are simply ignored. ``<head>`` has an optional
    end tag, so an open one ends at ``<body>``.
    """
    resume: dict[int, int] = {}
    stacks: dict[str, list[int]] = {}
    for i, (kind, _s, _e, name, closing, self_closing) in enumerate(tokens):
        if kind != _TAG:
            continue
        if name == "body" and not closing:
            for j in stacks.pop("head", []):
                resume[j] = i
        if name not in _SKIP_TAGS or self_closing:
            continue
        if closing:
            stack = stacks.get(name)
            if stack:
                resume[stack.pop()] = i + 1
        else:
            stacks.setdefault(name, []).append(i)
    return resume


# --------------------------------------------------------------------------- segments


class _Seg:
    """A candidate paragraph under construction: text pieces with their raw extents.

    A piece is ``(text, raw_start, raw_end)``. When ``raw_end - raw_start ==
    len(text)`` the map is the identity (plain text, or a collapsed space that
    maps to one raw char); otherwise every char maps to ``raw_start`` (an entity).
    """

    __slots__ = (
        "pieces",
        "pending",
        "pending_end",
        "loose",
        "in_para",
        "container",
        "p_before",
        "_text",
    )

    def __init__(self) -> None:
        self.pieces: list[tuple[str, int, int]] = []
        self.pending = -1  # raw start of a whitespace run waiting to become " "
        self.pending_end = -1  # raw end of its first char (or of its &nbsp; entity)
        self.loose = False  # HTML text outside any <p>, with <p> siblings before and after
        self.in_para = False
        self.container = 0
        self.p_before = 0
        self._text: str | None = None

    def add(self, text: str, start: int, end: int) -> None:
        if self.pending >= 0 and self.pieces:
            self.pieces.append((" ", self.pending, self.pending_end))
        self.pending = -1
        self.pieces.append((text, start, end))
        self._text = None

    def add_space(self, start: int, end: int) -> None:
        if self.pieces and self.pending < 0:
            self.pending, self.pending_end = start, end

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(p[0] for p in self.pieces)
        return self._text

    def cut_prefix(self, count: int) -> None:
        """Remove the first ``count`` chars (a date stamp, a stray ``.``)."""
        pieces = self.pieces
        i = 0
        while count > 0 and i < len(pieces):
            text, s, e = pieces[i]
            if len(text) <= count:
                count -= len(text)
                i += 1
                continue
            ident = e - s == len(text)
            pieces[i] = (text[count:], s + count if ident else s, e)
            count = 0
        del pieces[:i]
        while pieces and pieces[0][0].isspace():
            del pieces[0]
        self._text = None


class _HtmlBuilder:
    """Turn HTML tokens into segments: block tags break, furniture is skipped."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.segs: list[_Seg] = []
        self.cur = _Seg()
        self.stack: list[tuple[str, int]] = []
        self.open_names: Counter[str] = Counter()
        self.para_depth = 0
        self.p_children: Counter[int] = Counter()  # element id -> <p> children opened so far
        self.next_id = 1

    def flush(self) -> None:
        if self.cur.pieces:
            self.cur.in_para = self.para_depth > 0
            self.cur.container = self.stack[-1][1] if self.stack else 0
            self.cur.p_before = self.p_children[self.cur.container]
            self.segs.append(self.cur)
        self.cur = _Seg()

    def add_text(self, start: int, end: int) -> None:
        raw = self.raw
        pos = start
        for m in _HTML_GAP_RE.finditer(raw, start, end):
            if m.start() > pos:
                self.cur.add(raw[pos : m.start()], pos, m.start())
            if m.group(1) is not None:
                if "\n" in m.group(1) and _BLANK_LINE_RE.search(m.group(1)):
                    self.flush()  # blank line in mixed text/HTML: a paragraph break
                else:
                    self.cur.add_space(m.start(), m.start() + 1)
            pos = m.end()
        if pos < end:
            self.cur.add(raw[pos:end], pos, end)

    def push(self, name: str) -> None:
        if name == "p":
            self.p_children[self.stack[-1][1] if self.stack else 0] += 1
        self.stack.append((name, self.next_id))
        self.next_id += 1
        self.open_names[name] += 1
        if name in _PARA_TAGS:
            self.para_depth += 1

    def pop(self) -> None:
        name, _ = self.stack.pop()
        self.open_names[name] -= 1
        if name in _PARA_TAGS:
            self.para_depth -= 1

    def tag(self, name: str, closing: bool, self_closing: bool) -> None:
        if name not in _BLOCK_TAGS and name not in _SKIP_TAGS:
            return  # inline: no break, no space (HTML renders "a<b>b</b>" as "ab")
        self.flush()
        if name in _VOID_BREAKS or name not in _BLOCK_TAGS:
            return
        if closing:
            if self.open_names[name] > 0:
                while self.stack and self.stack[-1][0] != name:
                    self.pop()
                self.pop()
            return
        if self_closing:
            return
        if self.stack and self.stack[-1][0] == "p" and name in _CLOSES_P:
            self.pop()
        elif name in ("li", "dt", "dd") and self.stack and self.stack[-1][0] == name:
            self.pop()
        self.push(name)

    def run(self) -> list[_Seg]:
        tokens = _tokenize_html(self.raw)
        resume = _skip_targets(tokens)
        i = 0
        while i < len(tokens):
            kind, s, e, payload, closing, self_closing = tokens[i]
            if kind == _TEXT:
                self.add_text(s, e)
            elif kind == _ENT:
                if payload.isspace():
                    self.cur.add_space(s, e)
                elif payload not in ("\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff"):
                    self.cur.add(payload, s, e)
            else:
                target = resume.get(i)
                if target is not None:
                    self.flush()
                    i = target
                    continue
                self.tag(payload, closing, self_closing)
            i += 1
        self.flush()
        return self.segs


def _html_segments(raw: str) -> list[_Seg]:
    """Segment HTML and mark loose text.

    Only text *between* ``<p>`` siblings is loose: an intro line before the first
    ``<p>`` or a sign-off after the last is likelier to be article text.
    """
    builder = _HtmlBuilder(raw)
    segs = builder.run()
    for seg in segs:
        seg.loose = not seg.in_para and 0 < seg.p_before < builder.p_children[seg.container]
    return segs


# --------------------------------------------------------------------------- plain text


# The stripped content of each non-blank line (a leading BOM counts as blank).
_CONTENT_LINE_RE = re.compile(r"^(?:[^\S\n]|\ufeff)*(\S(?:[^\n]*\S)?)", re.M)


def _plain_segments(raw: str) -> list[_Seg]:
    """Split plain text into paragraphs with an identity offset map.

    Blank lines separate paragraphs; a text with no blank lines has one
    paragraph per line. Inside a multi-line paragraph, a boilerplate or title
    line (``Title\\nMiddle East``) is split off so it can be judged on its own
    and is never glued to the body that follows it.
    """
    blocks: list[list[tuple[int, int]]] = []
    prev_end = -1
    for m in _CONTENT_LINE_RE.finditer(raw):
        s, e = m.span(1)
        if prev_end < 0 or raw.count("\n", prev_end, s) >= 2:
            blocks.append([])
        blocks[-1].append((s, e))
        prev_end = e
    if len(blocks) == 1:  # no blank lines anywhere: every line is a paragraph
        blocks = [[line] for line in blocks[0]]
    segs: list[_Seg] = []
    for block in blocks:
        for s, e in _split_block(raw, block):
            seg = _Seg()
            pos = s
            for m in _INVISIBLE_RE.finditer(raw, s, e):  # dropped, the map skips them
                if m.start() > pos:
                    seg.pieces.append((raw[pos : m.start()], pos, m.start()))
                pos = m.end()
            if pos < e:
                seg.pieces.append((raw[pos:e], pos, e))
            if seg.pieces:
                segs.append(seg)
    return segs


def _split_block(raw: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Group a block's lines into segments, giving boilerplate/title lines their own."""
    if len(lines) == 1:
        return lines
    texts = [raw[s:e] for s, e in lines]
    alone: list[bool] = []
    for k, text in enumerate(texts):
        if _boilerplate_reason(text) is not None:
            alone.append(True)
            continue
        # A title line, not a hard-wrapped fragment: it follows a sentence end (or
        # starts the block) and the next line starts a new sentence.
        prev_ok = k == 0 or alone[k - 1] or _ends_sentence(texts[k - 1])
        next_ok = k == len(texts) - 1 or _starts_sentence(texts[k + 1])
        alone.append(prev_ok and next_ok and _title_like(text))
    out: list[tuple[int, int]] = []
    group_start = -1
    for k, (s, e) in enumerate(lines):
        if alone[k]:
            if group_start >= 0:
                out.append((lines[group_start][0], lines[k - 1][1]))
                group_start = -1
            out.append((s, e))
        elif group_start < 0:
            group_start = k
    if group_start >= 0:
        out.append((lines[group_start][0], lines[-1][1]))
    return out


# --------------------------------------------------------------------------- classification

_QUOTE_RE = re.compile(r"[\"“”„«»‹›‘]|(?<!\w)['’]|['’](?!\w)")
_ALNUM_RE = re.compile(r"[^\W_]")
_TRAILING_CLOSERS = " \t\r\n)]}\"'”’»›*"
_SENTENCE_END = frozenset(".!?…:")
_INNER_SENTENCE_RE = re.compile(r"[.!?…][\"'”’)\]]*\s+[\"'“‘(]?[A-Z]")
_TITLE_SMALL = frozenset(
    "a an and as at but by for from in into of on or over the to via vs with amid after".split()
)
_DATE_PREFIX_RE = re.compile(
    r"(?:date|published|updated|posted)\s*:?\s*\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\s+(?=\S)",
    re.I,
)
_PREFIX_STARTS = frozenset("dDpPuU.,;|")
_STRAY_PUNCT_RE = re.compile(r"[.,;|]{1,3}(?=[A-Z“\"‘'])")
# (reason, pattern over the normalised lowercase line, max words). Patterns are
# anchored so a prose paragraph that merely mentions "share" or "related" stays.
_BOILERPLATE: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "navigation",
        re.compile(
            r"(?:(?:top|bottom) of (?:the )?page|back to top|scroll to top|skip to (?:main )?"
            r"content|skip navigation|jump to navigation|toggle navigation|main menu|menu|"
            r"search|home|close)"
        ),
        4,
    ),
    (
        "date-stamp",
        re.compile(
            r"(?:(?:date|published|updated|posted|last updated)\s*:?\s*(?:on\s+)?)?"
            r"\d{4}-\d{2}-\d{2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?(?:z|[+-]\d{2}:?\d{2})?)?"
            r"|(?:published|updated|posted|last updated)(?: on| at)?\s*:?[\w ,./:-]*\d{4}"
            r"(?:[\w ,./:+-]*(?:am|pm|gmt|utc|[a-z]st|[a-z]dt|\d))?"
        ),
        12,
    ),
    (
        "share",
        re.compile(
            r"(?:share|sharing)(?:\s*(?:this|on|via|article|story|page|link|:|\|).*)?"
            r"|(?:(?:tweet|e-?mail|print|facebook|twitter|x|whatsapp|linkedin|reddit|telegram|"
            r"pinterest|copy link|comments?)[\s|/•·,:]*)+"
        ),
        12,
    ),
    (
        "subscribe",
        re.compile(r"(?:subscribe|sign up|sign in|log ?in|register now|join our|get our)\b.*"),
        25,
    ),
    (
        "advertisement",
        re.compile(
            r"(?:advertisement|advertising|ad|sponsored(?: content)?|promoted(?: content)?|"
            r"paid (?:content|post)|(?:story|article) continues (?:below|after advertisement)|"
            r"continue reading(?: below| the main story)?)"
        ),
        6,
    ),
    (
        "related",
        re.compile(
            r"(?:read more|read also|also read|more from|more on this|see also|related"
            r"(?: articles?| stories| coverage| news| content| topics)?|recommended(?: for you)?|"
            r"most read|most popular|trending(?: now)?|you (?:may|might) also like|"
            r"editor'?s picks?|"
            r"watch|listen)(?:\s*[:|»›>\-–—].*)?"
        ),
        25,
    ),
    (
        "cookie",
        re.compile(
            r".*\bcookies?\b.*\b(?:we use|uses|accept|consent|privacy|browsing|experience)\b.*"
            r"|.*\b(?:we use|accept(?: all)?|this (?:site|website) uses)\b.*\bcookies?\b.*"
        ),
        60,
    ),
    (
        "copyright",
        re.compile(r"(?:©|\(c\)|copyright\s*(?:©|\(c\)|\d{4})).*|.*\ball rights reserved\b.*"),
        30,
    ),
    (
        "caption",
        re.compile(
            r"(?:photo|image|picture|file photo|photograph|video|credit)(?: credit)?\s*:.*"
            r"|.*\((?:photo|image|credit|photo credit)s?\s*:[^()]*\)"
        ),
        60,
    ),
)
_BULLETS = "•·|-–—*>»› \t"
# One alternation so a short line costs one regex call, not one per reason.
_BOILERPLATE_RE = re.compile(
    "|".join(f"(?P<{reason.replace('-', '_')}>{pat.pattern})" for reason, pat, _ in _BOILERPLATE)
)
_BOILERPLATE_MAX_WORDS = {reason.replace("-", "_"): n for reason, _, n in _BOILERPLATE}


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _ends_sentence(text: str) -> bool:
    tail = text.rstrip(_TRAILING_CLOSERS)
    return bool(tail) and tail[-1] in _SENTENCE_END


def _starts_sentence(text: str) -> bool:
    head = text.lstrip(" \t\"'“‘(«")
    return not head or not head[0].isalpha() or head[0].isupper()


def _title_like(text: str) -> bool:
    """Headline/label shape: <= 12 words, no sentence end, no quote, mostly capitalised."""
    if _QUOTE_RE.search(text) or _ends_sentence(text) or len(text.split()) > 12:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w.lower() not in _TITLE_SMALL]
    if not words:
        return True
    return sum(w[0].isupper() for w in words) >= 0.6 * len(words)


def _lexicon_reason(words: list[str]) -> str | None:
    """Match the boilerplate lexicon against a short line given as its words."""
    if len(words) > 60 or sum(map(len, words)) > 600:
        return None  # every lexicon entry is short; also bounds the regex work
    norm = " ".join(words).lower().lstrip(_BULLETS).rstrip(" .!|")
    m = _BOILERPLATE_RE.fullmatch(norm)
    if m is None or m.lastgroup is None or len(words) > _BOILERPLATE_MAX_WORDS[m.lastgroup]:
        return None
    return m.lastgroup.replace("_", "-")


def _boilerplate_reason(text: str) -> str | None:
    """Lexicon check for page furniture; quoted text is never boilerplate."""
    if _QUOTE_RE.search(text):
        return None
    return _lexicon_reason(text.split())


def _drop_reason(text: str, loose: bool) -> str | None:
    """Why a paragraph is dropped, or ``None`` to keep it (duplicates handled by the caller).

    ``loose`` marks HTML text sitting between ``<p>`` paragraphs outside any of
    them: on scraped pages that is a "related article" headline, so it is
    dropped even when it ends with a period, unless it quotes someone.
    """
    if not _ALNUM_RE.search(text):
        return "punctuation"
    if _QUOTE_RE.search(text):
        return None  # a short quoted paragraph is exactly what the labeller wants
    words = text.split()
    reason = _lexicon_reason(words)
    if reason is not None:
        return reason
    if len(words) <= 6 and not _ends_sentence(text):
        return "short-label"
    if loose and len(words) <= 25 and not _INNER_SENTENCE_RE.search(text.rstrip()):
        return "loose-headline"
    return None


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 80 else flat[:77] + "..."


# --------------------------------------------------------------------------- public API

_HTML_HINT_RE = re.compile(
    r"<(?:/?(?:p|div|br|html|body|head|span|a|li|ul|ol|h[1-6]|article|section|main|table|tr|"
    r"td|th|blockquote|script|style|meta|link|header|footer|nav|aside|figure|em|strong|b|i|"
    r"img)\b[^<>]*|!doctype\s+html[^<>]*)>",
    re.I,
)


def looks_like_html(raw: str) -> bool:
    """Guess whether ``raw`` is HTML.

    Scraped inputs arrive unlabelled; one structural tag (``<p>``, ``<div>``,
    ``<br>``, ``<html>``, ...) is enough, because parsing plain text as HTML only
    costs whitespace collapsing, while parsing HTML as text leaves tags in quotes.

    Args:
        raw: The article as given.

    Returns:
        True when a known HTML tag or an HTML doctype occurs.
    """
    return _HTML_HINT_RE.search(raw) is not None


def clean_article(raw: str, *, html: bool | None = None) -> CleanText:
    """Clean a raw article into paragraphs with an exact map back to ``raw``.

    Markup, furniture (navigation, share/subscribe/ad lines, section labels,
    related-article headlines, lone punctuation) and repeated paragraphs are
    removed so that quotes are found once and never across glued headlines;
    ``to_raw`` keeps every surviving char traceable to the input. Never raises
    on a ``str`` and runs in linear time.

    Args:
        raw: The article as given (plain text or HTML).
        html: Parse as HTML (True), as plain text (False), or auto-detect with
            ``looks_like_html`` (None).

    Returns:
        The cleaned text with its offset map, paragraph spans and drop log.
    """
    if not isinstance(raw, str) or not raw:
        return CleanText("", (0,), (), ())
    is_html = looks_like_html(raw) if html is None else html
    if is_html:
        segs = _html_segments(raw)
    else:
        segs = _plain_segments(raw)

    kept: list[_Seg] = []
    dropped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for seg in segs:
        text = seg.text
        if text[:1] in _PREFIX_STARTS:  # cheap gate: most paragraphs have no prefix
            m = _DATE_PREFIX_RE.match(text)
            if m is not None:
                dropped.append(("date-stamp", _snippet(m.group())))
                seg.cut_prefix(m.end())
                text = seg.text
            m = _STRAY_PUNCT_RE.match(text)
            if m is not None:
                seg.cut_prefix(m.end())
                text = seg.text
            if not text:
                continue
        reason = _drop_reason(text, seg.loose)
        if reason is None:
            key = _normalise(text)
            if key in seen:
                reason = "duplicate"
            else:
                seen.add(key)
        if reason is None:
            kept.append(seg)
        else:
            dropped.append((reason, _snippet(text)))
    return _assemble(kept, dropped)


def _assemble(kept: list[_Seg], dropped: list[tuple[str, str]]) -> CleanText:
    """Join kept segments with ``"\\n\\n"`` and build the offset map."""
    parts: list[str] = []
    to_raw: list[int] = []
    raw_ends: dict[int, int] = {}
    paragraphs: list[tuple[int, int]] = []
    pos = 0
    prev_end = 0
    for seg in kept:
        if paragraphs:
            # Point the separator at the raw gap ("\n\n" in plain text maps to
            # itself), never past the next paragraph's first char.
            nxt = seg.pieces[0][1]
            parts.append("\n\n")
            to_raw.extend(max(prev_end, min(prev_end + k, nxt - 1)) for k in (0, 1))
            pos += 2
        start = pos
        for text, s, e in seg.pieces:
            size = len(text)
            if e - s == size:
                to_raw.extend(range(s, e))
            else:
                to_raw.extend([s] * size)
                for k in range(pos, pos + size):
                    raw_ends[k] = e
            parts.append(text)
            pos += size
            prev_end = e
        paragraphs.append((start, pos))
    to_raw.append(prev_end)
    return CleanText(
        text="".join(parts),
        to_raw=tuple(to_raw),
        paragraphs=tuple(paragraphs),
        dropped=tuple(dropped),
        raw_ends=MappingProxyType(raw_ends) if raw_ends else _EMPTY_ENDS,
    )
