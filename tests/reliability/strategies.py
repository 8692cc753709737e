"""Hypothesis strategies for hostile articles: what scrapers, copy-paste and attackers send.

Every strategy yields a ``str`` to label. They mix article-like material
(attributed quotes, names, reporting verbs), so the quote finder and the speaker
attribution get past their first checks, with the noise the issue names:
arbitrary Unicode (lone surrogates included), unbalanced and nested quote marks
of every script, zero-width and bidi controls, enormous paragraphs, deeply
nested or broken HTML, and binary junk.
"""

from __future__ import annotations

from hypothesis import strategies as st

QUOTE_MARKS = (
    '"',
    "'",
    "“",
    "”",
    "„",
    "‟",
    "«",
    "»",
    "‹",
    "›",
    "‘",
    "’",
    "‚",
    "‛",
    "「",
    "」",
    "『",
    "』",
    "＂",
    "`",
    "``",
    "''",
    "&quot;",
    "&ldquo;",
    "&rdquo;",
    "&#8220;",
    "&#x201D;",
)
INVISIBLE = (
    "\u200b",  # zero-width space
    "\u200c",
    "\u200d",
    "\u2060",  # word joiner
    "\ufeff",  # BOM
    "\u00ad",  # soft hyphen
    "\u200e",  # LRM / RLM
    "\u200f",
    "\u061c",  # Arabic letter mark
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # variation selector
)
WHITESPACE = (" ", "  ", "\n", "\n\n", "\n \n", "\r\n", "\t", "\u00a0", "\u2028", "\u2029", "\x0b")
WORDS = (
    "said",
    "says",
    "told",
    "added",
    "according to",
    "was quoted as saying that",
    "he",
    "she",
    "they",
    "It",
    "the general",
    "a senior official",
    "Ali Hussein",
    "Qais al-Khazali",
    "Kataib Hezbollah",
    "the Pentagon",
    "Iraq",
    "US forces",
    "must leave",
    "will stay",
    "the militias",
    "BAGHDAD (Reuters) -",
    "Mr.",
    "Dr.",
    "—",
    "-",
    ":",
    ",",
    ".",
    "...",
    "?",
    "!",
    "(",
    ")",
    "[",
    "]",
    "عراق",
    "قال",
    "Ирак",
    "伊拉克",
    "🇮🇶",
    "e\u0301",
    "ﬁ",
    "Ⅻ",
)
TAGS = (
    "p",
    "div",
    "span",
    "b",
    "i",
    "a",
    "br",
    "li",
    "ul",
    "td",
    "tr",
    "table",
    "blockquote",
    "h1",
    "article",
    "section",
    "nav",
    "aside",
    "header",
    "footer",
    "figure",
    "script",
    "style",
    "head",
    "title",
    "body",
    "html",
    "noscript",
    "svg",
    "template",
    "textarea",
    "pre",
    "q",
    "x-custom",
)
HTML_JUNK = (
    "<",
    ">",
    "</",
    "<p",
    "<p ",
    "</p",
    "<!--",
    "-->",
    "<!doctype html>",
    "<![CDATA[",
    "]]>",
    "<?xml ?>",
    "&",
    "&#",
    "&#;",
    "&#x",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "&#99999999;",
    "&amp",
    "&ampx",
    "&notin",
    "&nbsp;",
    "&zwnj;",
    "&lrm;",
    "&rlo;",
    "<br/>",
    "<p/>",
    "<hr>",
    '<a href="x>y">',
    "<p class='x>",
    "<script>",
    "</script>",
    "<style>",
    "<div\n>",
    "< p>",
    "<P>",
    "</DIV>",
    "<img src=x onerror=alert(1)>",
)

# Arbitrary code points, surrogates and controls included (``str`` allows them).
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
# The same, without surrogates: what a UTF-8 file or a JSON body can carry.
utf8_text = st.text(st.characters(codec="utf-8"), max_size=40)


def _binary_junk() -> st.SearchStrategy[str]:
    """Bytes decoded every way an ingest path might decode them."""
    return st.tuples(st.binary(max_size=64), st.sampled_from(("latin-1", "replace", "escape"))).map(
        lambda bc: (
            bc[0].decode("latin-1")
            if bc[1] == "latin-1"
            else bc[0].decode("utf-8", "replace" if bc[1] == "replace" else "surrogateescape")
        )
    )


binary_junk = _binary_junk()

sentence = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(QUOTE_MARKS), st.sampled_from(WHITESPACE)),
    min_size=1,
    max_size=25,
).map(" ".join)

quoted_statement = st.builds(
    lambda open_, words, close, verb, who, end: f"{open_}{words},{close} {verb} {who}{end}",
    st.sampled_from(QUOTE_MARKS),
    sentence,
    st.sampled_from(QUOTE_MARKS),
    st.sampled_from(("said", "told reporters", "added", "says")),
    st.sampled_from(("Ali Hussein", "the general", "a spokesman for Kataib Hezbollah", "he")),
    st.sampled_from((".", "", "\n\n", ". ", "!")),
)

piece = st.one_of(
    sentence,
    quoted_statement,
    st.sampled_from(QUOTE_MARKS),
    st.sampled_from(INVISIBLE),
    st.sampled_from(WHITESPACE),
    st.sampled_from(HTML_JUNK),
    any_text,
    binary_junk,
)


def _wrap(tag: str, inner: str, closed: bool, attrs: str) -> str:
    if tag in ("br", "hr"):
        return f"<{tag}{attrs}>{inner}"
    return f"<{tag}{attrs}>{inner}" + (f"</{tag}>" if closed else "")


html_tree = st.recursive(
    piece,
    lambda children: st.one_of(
        st.builds(
            _wrap,
            st.sampled_from(TAGS),
            st.lists(children, max_size=4).map("".join),
            st.booleans(),
            st.sampled_from(("", ' class="c"', " id='x", ' title="a>b"', " x=1 y", " /")),
        ),
        st.lists(children, min_size=2, max_size=4).map("".join),
    ),
    max_leaves=30,
)

deep_nesting = st.builds(
    lambda tag, n, inner, closed: f"<{tag}>" * n + inner + (f"</{tag}>" * n if closed else ""),
    st.sampled_from(("div", "p", "b", "span", "li", "blockquote", "td", "aside", "q")),
    st.integers(50, 2000),
    quoted_statement,
    st.booleans(),
)

enormous_paragraph = st.builds(
    lambda unit, n, tail: unit * n + tail,
    st.one_of(sentence, quoted_statement, st.sampled_from(QUOTE_MARKS)).map(lambda s: s + " "),
    st.integers(20, 400),
    st.one_of(st.just(""), quoted_statement),
)

hostile_article = st.one_of(
    st.lists(piece, max_size=30).map("".join),
    st.lists(st.one_of(piece, quoted_statement), max_size=12).map("\n\n".join),
    html_tree,
    deep_nesting,
    enormous_paragraph,
    any_text,
    binary_junk,
)
"""Any of the above: the strategy the property tests and the fuzz target draw from."""


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by ``?``: what any UTF-8 input can hold."""
    return text.encode("utf-8", "replace").decode("utf-8")


hostile_utf8_article = hostile_article.map(without_surrogates)
"""Hostile articles that a file or an HTTP body can carry (JSON refuses lone surrogates)."""
