"""Speaker attribution: who said each quote (ANNOTATION.md section 2).

Reads the quote spans written by the quote finder (``sw_mention``, ``sw_cue``)
and sets ``span._.sw_speaker`` (a :class:`Speaker`) and ``span._.sw_attribution``
(how it was found). Quotes are processed in document order, so that pronouns,
descriptions (``the 37-year-old``) and uncued quotes can lean on the speakers
already resolved, the way a reader does.

The work is split into small parts:

* :class:`NameBook` clusters the name forms of one article (``Sudani``,
  ``al-Sudani``, ``Mohammed Shia al-Sudani``) and knows each cluster's fullest
  form, aliases and affiliation.
* :class:`MentionReader` turns a mention (a noun phrase) into a speaker without
  any context: names, spokespeople, ``the office of X``, unnamed sources.
* :class:`ReferentTracker` remembers the recent candidates (sentence subjects,
  entities, quote speakers) and resolves pronouns and anaphoric descriptions by
  recency, subject preference and type.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from stancewire.models.components.quotes import is_headline, paragraph_bounds
from stancewire.models.doc_attrs import QUOTES_KEY, Speaker, register_extensions

register_extensions()

# --------------------------------------------------------------------------- lexicons

TITLE_WORDS: frozenset[str] = frozenset(
    """prime minister president vice foreign defense defence interior finance oil secretary
    state director cia fbi gen. gen general lt. lt col. col maj. maj brig. sheikh shaikh
    sayyid sayed dr. dr mr. mr mrs. mrs ms. ms sen. senator rep. representative ambassador
    spokesman spokeswoman spokesperson commander speaker ayatollah grand imam king crown
    prince emir judge mayor governor chief leader former deputy acting army adm. admiral
    colonel major captain capt. lieutenant sergeant sgt. cleric mp lawmaker official adviser
    advisor national security of the""".split()
)
"""Words stripped from the start of a name (``Prime Minister``, ``Gen.``)."""

ROLE_NOUNS: frozenset[str] = frozenset(
    """spokesman spokeswoman spokesperson spokesmen official minister adviser advisor leader
    commander director head chief secretary president ambassador envoy lawmaker member analyst
    expert researcher fellow professor general founder chairman chairwoman chair deputy
    diplomat officer aide negotiator representative mp politician cleric governor mayor
    speaker emir king prince premier source""".split()
)
"""Nouns that describe a person by role: ``Kataib Hezbollah spokesman X``."""

CONTAINER_NOUNS: frozenset[str] = frozenset(
    """office statement statements report reports stance government administration presidency
    cabinet account announcement message letter post tweet interview communique communiqué
    spokesman spokesperson spokeswoman media medium outlet agency channel website newspaper
    ministry""".split()
)
"""Nouns through which a body or leader speaks: ``the office of X`` -> X."""

ORG_ANAPHOR_NOUNS: frozenset[str] = frozenset(
    """group militia faction movement organization organisation coalition alliance party
    government ministry embassy department agency council office administration bloc
    military army militants country kingdom""".split()
)
STATEMENT_NOUNS: frozenset[str] = frozenset(
    {"statement", "report", "reports", "message", "announcement", "communique", "letter"}
)
PERSON_PRONOUNS: frozenset[str] = frozenset({"he", "she", "him", "his", "her", "hers"})
GROUP_PRONOUNS: frozenset[str] = frozenset({"they", "them", "their", "theirs"})
ORG_PRONOUNS: frozenset[str] = frozenset({"it", "its"})
FIRST_PERSON: frozenset[str] = frozenset({"i", "we", "me", "us", "my", "our"})

DEMONYMS: dict[str, str] = {
    "iraq": "Iraqi",
    "iraqi": "Iraqi",
    "iran": "Iranian",
    "iranian": "Iranian",
    "tehran": "Iranian",
    "baghdad": "Iraqi",
    "us": "US",
    "u.s.": "US",
    "united states": "US",
    "the united states": "US",
    "america": "US",
    "american": "US",
    "washington": "US",
    "israel": "Israeli",
    "israeli": "Israeli",
    "syria": "Syrian",
    "syrian": "Syrian",
    "turkey": "Turkish",
    "turkish": "Turkish",
    "jordan": "Jordanian",
    "jordanian": "Jordanian",
    "lebanon": "Lebanese",
    "lebanese": "Lebanese",
    "saudi arabia": "Saudi",
    "saudi": "Saudi",
    "kuwait": "Kuwaiti",
    "qatar": "Qatari",
    "egypt": "Egyptian",
    "britain": "British",
    "uk": "British",
    "british": "British",
    "france": "French",
    "french": "French",
    "russia": "Russian",
    "russian": "Russian",
    "china": "Chinese",
    "chinese": "Chinese",
    "kurdish": "Kurdistan Regional",
}
"""Country names and adjectives to the adjective used in ``<X> government``."""

GOVERNMENT_TITLES: frozenset[str] = frozenset(
    """minister president premier ambassador government ministry secretary presidency
    administration cabinet embassy""".split()
)
US_GOVERNMENT_MARKERS: tuple[str, ...] = (
    "pentagon",
    "white house",
    "state department",
    "department of state",
    "defense department",
    "department of defense",
    "centcom",
    "central command",
    "defense secretary",
    "secretary of state",
    "cia",
    "national security council",
    "administration",
)
"""Bodies and titles that speak for the US government when no nation is named."""

_NAME_DEPS = frozenset({"compound", "appos", "flat", "nmod", "poss", "pobj", "amod", "npadvmod"})
_POSSESSIVE_RE = re.compile(r"\s*['’]s?$")


# --------------------------------------------------------------------------- names


def strip_title(name: str) -> str:
    """``Iraqi Prime Minister Mohammed Shia al-Sudani`` -> ``Mohammed Shia al-Sudani``."""
    name = _POSSESSIVE_RE.sub("", name.strip()).strip(' ,.;:"“”')
    words = name.split()
    while len(words) > 1 and (words[0].lower() in TITLE_WORDS or words[0].lower() in DEMONYMS):
        words = words[1:]
    return " ".join(words)


def name_key(name: str) -> tuple[str, ...]:
    """Comparable tokens of a name: lowercase, no ``al-``/``el-`` prefix, no dots."""
    out = []
    for tok in re.split(r"[\s]+", name.lower()):
        tok = re.sub(r"^(al|el)[-‐]", "", tok).strip(".,'’\"")
        if tok in ("al", "el", "the"):
            continue
        if tok:
            out.append(tok)
    return tuple(out)


def _is_suffix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return 0 < len(short) <= len(long) and long[-len(short) :] == short


@dataclass
class NameCluster:
    """All forms one article uses for one person or body."""

    type: str
    forms: list[str] = field(default_factory=list)
    affiliation: str | None = None

    @property
    def canonical(self) -> str:
        return max(self.forms, key=lambda f: (len(name_key(f)), -self.forms.index(f)))

    @property
    def aliases(self) -> tuple[str, ...]:
        canon = self.canonical
        seen: list[str] = []
        for form in self.forms:
            if form != canon and form not in seen and name_key(form) != name_key(canon):
                seen.append(form)
        return tuple(seen)


class NameBook:
    """Clusters the name forms of one article (one book per document)."""

    def __init__(self) -> None:
        self.clusters: list[NameCluster] = []

    def add(self, name: str, type_: str, affiliation: str | None = None) -> NameCluster | None:
        name = strip_title(name) if type_ == "person" else _POSSESSIVE_RE.sub("", name.strip())
        key = name_key(name)
        if not key or not any(ch.isalpha() for ch in name):
            return None
        cluster = self.find(name, type_)
        if cluster is None:
            cluster = NameCluster(type=type_)
            self.clusters.append(cluster)
        if name not in cluster.forms:
            cluster.forms.append(name)
        if affiliation and not cluster.affiliation:
            cluster.affiliation = affiliation
        return cluster

    def find(self, name: str, type_: str) -> NameCluster | None:
        key = name_key(strip_title(name) if type_ == "person" else name)
        best: NameCluster | None = None
        for cluster in self.clusters:
            if cluster.type != type_:
                continue
            for form in cluster.forms:
                fkey = name_key(form)
                if fkey == key or (
                    type_ == "person" and (_is_suffix(key, fkey) or _is_suffix(fkey, key))
                ):
                    if best is None or len(name_key(cluster.canonical)) > len(
                        name_key(best.canonical)
                    ):
                        best = cluster
                    break
        return best

    def speaker(self, name: str, type_: str, affiliation: str | None = None) -> Speaker:
        """The article-level :class:`Speaker` for one name form."""
        if type_ == "unnamed":
            return Speaker(name=name, type="unnamed", affiliation=affiliation)
        cluster = self.find(name, type_)
        if cluster is None and type_ == "organization":
            # "Sudani's" is sometimes tagged ORG: a known person's name stays a person.
            person = self.find(name, "person")
            if person is not None and len(name_key(name)) <= len(name_key(person.canonical)):
                cluster, type_ = person, "person"
        cluster = cluster or self.add(name, type_, affiliation)
        if cluster is None:
            return Speaker(name=strip_title(name) or name, type=type_, affiliation=affiliation)
        if affiliation and not cluster.affiliation:
            cluster.affiliation = affiliation
        return Speaker(
            name=cluster.canonical,
            type=type_,
            aliases=cluster.aliases,
            affiliation=cluster.affiliation or affiliation,
        )


# --------------------------------------------------------------------------- readings


@dataclass
class Reading:
    """What a mention says about its speaker, before article-level clustering."""

    name: str
    type: str
    how: str
    affiliation: str | None = None
    anaphor: str | None = None  # "person", "org", "group", "statement", "report"
    position: int = 0


def _ent_of(token: Token) -> Span | None:
    if not token.ent_type_:
        return None
    doc = token.doc
    for ent in doc.ents:
        if ent.start <= token.i < ent.end:
            return ent
    return None


def _ent_text(ent: Span) -> str:
    text = ent.text
    if ent.label_ in ("ORG", "GPE", "NORP", "FAC") and text.lower().startswith("the "):
        text = text[4:]
    return _POSSESSIVE_RE.sub("", text).strip()


def _span_text(doc: Doc, start: int, end: int) -> str:
    return doc[start:end].text.strip(' ,;:"“”')


def government_of(text: str) -> str | None:
    """``Iraq``/``Iraqi``/``Tehran`` -> ``Iraqi``/``Iranian`` government."""
    adjective = DEMONYMS.get(text.lower().strip())
    return f"{adjective} government" if adjective else None


def organization_side(name: str) -> str:
    """The side a body speaks for: ``Pentagon`` -> ``US government``, ``Tehran`` ->
    ``Iranian government``, any other body -> itself."""
    lower = name.lower()
    if any(marker in lower for marker in US_GOVERNMENT_MARKERS):
        return "US government"
    return government_of(lower) or name


class MentionReader:
    """Reads a mention into a :class:`Reading`, without using context."""

    def read(self, mention: Span) -> Reading:
        doc = mention.doc
        head = mention.root
        lower = head.lower_
        if head.pos_ == "PRON" or lower in PERSON_PRONOUNS | GROUP_PRONOUNS | ORG_PRONOUNS:
            if lower in PERSON_PRONOUNS:
                return Reading(lower, "person", "pronoun", anaphor="person")
            if lower in ORG_PRONOUNS:
                return Reading(lower, "organization", "pronoun", anaphor="org")
            if lower in GROUP_PRONOUNS:
                return Reading(lower, "organization", "pronoun", anaphor="group")
        linked = self._linked_tokens(head)
        ents = self._linked_ents(doc, linked, mention)
        persons = [e for e in ents if e.label_ == "PERSON"]
        orgs = [e for e in ents if e.label_ in ("ORG", "GPE", "FAC")]
        head_ent = _ent_of(head)
        head_lemma = head.lemma_.lower()

        # The office / statement / government of X speaks for X.
        if head_ent is None and (lower in CONTAINER_NOUNS or head_lemma in CONTAINER_NOUNS):
            if lower not in ("spokesman", "spokesperson", "spokeswoman") or not persons:
                owner = self._owner(head)
                if owner is not None:
                    if owner.label_ == "PERSON":
                        return Reading(_ent_text(owner), "person", "description")
                    return Reading(_ent_text(owner), "organization", "description")
                poss = [c for c in head.children if c.dep_ == "poss" and c.pos_ == "PRON"]
                if poss:
                    kind = "person" if poss[0].lower_ in PERSON_PRONOUNS else "org"
                    if poss[0].lower_ in GROUP_PRONOUNS:
                        kind = "group"
                    return Reading(poss[0].lower_, "organization", "pronoun", anaphor=kind)
                compound = [e for e in ents if e.end <= head.i + 1]
                if compound and lower in ("administration", "government", "ministry"):
                    text = _span_text(doc, compound[0].start, head.i + 1)
                    return Reading(text, "organization", "description")
                if compound and lower not in ("spokesman", "spokesperson", "spokeswoman"):
                    owner = compound[-1]
                    type_ = "person" if owner.label_ == "PERSON" else "organization"
                    return Reading(_ent_text(owner), type_, "description")

        if head_ent is not None and head_ent.label_ == "PERSON":
            return Reading(_ent_text(head_ent), "person", "subject")
        if head_lemma in ROLE_NOUNS or lower in ROLE_NOUNS:
            named = self._appositive_name(head)
            if named is not None:
                affiliation = next((_ent_text(e) for e in orgs if e.end <= named.start), None)
                return Reading(_ent_text(named), "person", "apposition", affiliation=affiliation)
        if persons:
            person = persons[-1] if head.i < persons[-1].start else persons[0]
            how = "apposition" if any(c.dep_ == "appos" for c in head.children) else "subject"
            affiliation = next((_ent_text(e) for e in orgs if e.end <= person.start), None)
            return Reading(_ent_text(person), "person", how, affiliation=affiliation)
        if head_ent is not None and head_ent.label_ in ("ORG", "GPE", "FAC"):
            return Reading(_ent_text(head_ent), "organization", "subject")
        if head_ent is not None and head_ent.label_ == "NORP" and head.pos_ == "PROPN":
            return Reading(_ent_text(head_ent), "organization", "subject")

        # Definite descriptions point back: "the group", "the statement", "the 37-year-old".
        determiners = [c.lower_ for c in head.children if c.dep_ == "det"]
        definite = "the" in determiners or "this" in determiners or "that" in determiners
        if definite and not orgs:
            if lower in STATEMENT_NOUNS or head_lemma in STATEMENT_NOUNS:
                kind = "report" if head_lemma == "report" else "statement"
                return Reading(mention.text, "unnamed", "description", anaphor=kind)
            if head_lemma in ROLE_NOUNS or re.search(r"year-? ?old", mention.text.lower()):
                return Reading(mention.text, "unnamed", "description", anaphor="person")
            if head_lemma in ORG_ANAPHOR_NOUNS and head.tag_ not in ("NNS", "NNPS"):
                return Reading(mention.text, "unnamed", "description", anaphor="org")
        if orgs and head_lemma in ROLE_NOUNS:
            return Reading(
                self._description(mention),
                "unnamed",
                "description",
                affiliation=_ent_text(orgs[0]),
            )
        affiliation = _ent_text(orgs[0]) if orgs else None
        return Reading(
            self._description(mention), "unnamed", "description", affiliation=affiliation
        )

    @staticmethod
    def _description(mention: Span) -> str:
        text = mention.text.strip(' ,;:"“”')
        return re.sub(r"\s+", " ", text)

    @staticmethod
    def _linked_tokens(head: Token) -> list[Token]:
        """Tokens tied to ``head`` by name-building relations (not clauses)."""
        out = [head]
        stack = [head]
        while stack:
            tok = stack.pop()
            for child in tok.children:
                dep = child.dep_
                ok = dep in _NAME_DEPS
                if dep == "prep" and child.lower_ in ("of", "for", "at", "from", "in", "with"):
                    ok = True
                if ok and child not in out:
                    out.append(child)
                    stack.append(child)
        return out

    @staticmethod
    def _linked_ents(doc: Doc, linked: list[Token], mention: Span) -> list[Span]:
        idx = {t.i for t in linked}
        out = []
        for ent in doc.ents:
            if ent.label_ not in ("PERSON", "ORG", "GPE", "FAC"):
                continue
            if any(i in idx for i in range(ent.start, ent.end)):
                out.append(ent)
        return out

    @staticmethod
    def _appositive_name(head: Token) -> Span | None:
        """NAME in ``A senior adviser to X, NAME, said`` (the apposition may attach to X)."""
        for tok in head.subtree:
            if tok.dep_ != "appos" or tok.i <= head.i or tok.ent_type_ != "PERSON":
                continue
            if tok.doc[tok.left_edge.i - 1].text != ",":
                continue
            return _ent_of(tok)
        return None

    @staticmethod
    def _owner(head: Token) -> Span | None:
        """X in ``X's office``, ``the office of X``, ``the reports at X``."""
        for child in head.children:
            if child.dep_ == "poss" and child.pos_ != "PRON":
                ent = _ent_of(child)
                if ent is not None and ent.label_ in ("PERSON", "ORG", "GPE", "FAC", "NORP"):
                    return ent
            if child.dep_ == "prep" and child.lower_ in ("of", "at", "from"):
                for pobj in child.children:
                    if pobj.dep_ != "pobj":
                        continue
                    ent = _ent_of(pobj)
                    if ent is None:
                        for sub in pobj.children:
                            if sub.dep_ in ("compound", "appos"):
                                ent = _ent_of(sub) or ent
                    if ent is not None and ent.label_ in ("PERSON", "ORG", "GPE", "FAC"):
                        return ent
        return None


# --------------------------------------------------------------------------- context


@dataclass
class Referent:
    """A candidate antecedent: who was talked about, where."""

    position: int
    sentence: int
    paragraph: int
    speaker: Speaker
    subject: bool
    report: bool = False
    institution: bool = False  # a person reached through "X's government" / "office of X"
    quoted: bool = False  # the speaker of an earlier quote


class ReferentTracker:
    """Candidates for pronouns and descriptions, in document order."""

    def __init__(self, *, max_sentences: int = 6, max_paragraphs: int = 2) -> None:
        self.max_sentences = max_sentences
        self.max_paragraphs = max_paragraphs
        self.referents: list[Referent] = []

    def add(self, referent: Referent) -> None:
        """Insert ``referent`` keeping the list in document order."""
        bisect.insort(self.referents, referent, key=lambda r: r.position)

    def resolve(self, kind: str, position: int, sentence: int, paragraph: int) -> Speaker | None:
        """The antecedent of an anaphor of ``kind`` at ``position``."""
        pool = [
            r
            for r in self.referents
            if r.position < position
            and sentence - r.sentence <= self.max_sentences
            and paragraph - r.paragraph <= self.max_paragraphs
            and self._compatible(kind, r)
        ]
        if not pool and kind == "person":
            # NER often tags a lone surname as ORG: fall back to a recent quoted source.
            pool = [
                r
                for r in self.referents
                if r.quoted
                and r.position < position
                and sentence - r.sentence <= 2
                and r.speaker.type == "organization"
                and len(r.speaker.name.split()) <= 3
            ]
        if not pool:
            return None
        if kind == "report":
            reports = [r for r in pool if r.report]
            if reports:
                return max(reports, key=lambda r: r.position).speaker
        if kind in ("statement", "report"):
            speakers = [r for r in pool if r.quoted] or pool
            return max(speakers, key=lambda r: r.position).speaker
        by_sentence = sorted({r.sentence for r in pool}, reverse=True)
        for sent in by_sentence:
            subjects = [r for r in pool if r.sentence == sent and r.subject]
            if subjects:
                return max(subjects, key=lambda r: r.position).speaker
        return max(pool, key=lambda r: r.position).speaker

    @staticmethod
    def _compatible(kind: str, ref: Referent) -> bool:
        stype = ref.speaker.type
        if kind == "person":
            return stype == "person" and not ref.institution
        if kind == "org":
            return stype == "organization" or ref.institution
        if kind == "group":
            return stype in ("organization", "unnamed") or ref.institution
        return kind in ("statement", "report")


# --------------------------------------------------------------------------- component


class SpeakerAttributor:
    """spaCy component setting ``sw_speaker`` and ``sw_attribution`` on quotes."""

    def __init__(self, *, max_sentences_back: int = 6, max_paragraphs_back: int = 2) -> None:
        self.max_sentences_back = max_sentences_back
        self.max_paragraphs_back = max_paragraphs_back
        self.reader = MentionReader()

    def __call__(self, doc: Doc) -> Doc:
        if QUOTES_KEY not in doc.spans or len(doc.spans[QUOTES_KEY]) == 0:
            return doc
        try:
            self._attribute(doc)
        except Exception:  # noqa: BLE001 - attribution is best effort, never fatal
            pass
        return doc

    # ---- setup
    def _layout(self, doc: Doc) -> tuple[list[int], list[int], set[int]]:
        """Sentence and paragraph index of every token, and the headline paragraphs."""
        para_of = [0] * len(doc)
        bounds = paragraph_bounds(doc)
        headlines = {i for i, (a, b) in enumerate(bounds) if is_headline(doc.text[a:b])}
        p = 0
        for tok in doc:
            while p + 1 < len(bounds) and tok.idx >= bounds[p + 1][0]:
                p += 1
            para_of[tok.i] = p
        sent_of = [0] * len(doc)
        s = 0
        for tok in doc:
            if tok.i > 0 and (tok.is_sent_start or para_of[tok.i] != para_of[tok.i - 1]):
                s += 1
            sent_of[tok.i] = s
        return sent_of, para_of, headlines

    def _quoted(self, doc: Doc) -> list[bool]:
        quoted = [False] * len(doc)
        for span in doc.spans[QUOTES_KEY]:
            if span._.sw_kind == "direct":
                for i in range(span.start, span.end):
                    quoted[i] = True
        return quoted

    def _collect(
        self,
        doc: Doc,
        book: NameBook,
        tracker: ReferentTracker,
        sent_of: list[int],
        para_of: list[int],
        quoted: list[bool],
        headlines: set[int],
    ) -> None:
        """Fill the name book and the referent list from the whole article."""
        for ent in doc.ents:
            if quoted[ent.start] or ent.label_ not in ("PERSON", "ORG", "GPE"):
                continue
            type_ = "person" if ent.label_ == "PERSON" else "organization"
            affiliation = self._affiliation(ent) if type_ == "person" else None
            book.add(_ent_text(ent), type_, affiliation)
        for tok in doc:
            if quoted[tok.i] or tok.dep_ not in ("nsubj", "nsubjpass", "pobj", "dobj", "appos"):
                continue
            if para_of[tok.i] in headlines:
                continue
            if tok.pos_ not in ("PROPN", "NOUN"):
                continue
            ent = _ent_of(tok)
            if tok.pos_ == "NOUN" and ent is None and tok.lemma_.lower() not in CONTAINER_NOUNS:
                continue
            start, end = tok.left_edge.i, tok.right_edge.i + 1
            mention = doc[max(start, tok.i - 8) : min(end, tok.i + 1)]
            reading = self.reader.read(mention)
            if reading.anaphor or reading.type == "unnamed":
                continue
            speaker = book.speaker(reading.name, reading.type, reading.affiliation)
            subject = tok.dep_ in ("nsubj", "nsubjpass")
            report = subject and tok.head.lemma_.lower() in ("report", "publish", "quote")
            institution = reading.type == "person" and ent is None
            tracker.add(
                Referent(
                    tok.i, sent_of[tok.i], para_of[tok.i], speaker, subject, report, institution
                )
            )
        tracker.referents.sort(key=lambda r: r.position)

    def _affiliation(self, ent: Span) -> str | None:
        """The side a named person speaks for, from the words around the name."""
        doc = ent.doc
        # "Kataib Hezbollah spokesman X", "Iraqi Foreign Minister X", "Defense Secretary X"
        start = ent.start
        prefix_start = start
        while prefix_start > 0 and doc[prefix_start - 1].pos_ in ("PROPN", "NOUN", "ADJ", "PART"):
            if doc[prefix_start - 1].text in (",", "("):
                break
            prefix_start -= 1
            if start - prefix_start > 8:
                break
        prefix = doc[prefix_start:start]
        prefix_lower = prefix.text.lower()
        for other in doc.ents:
            if other.start >= prefix_start and other.end <= start and other.label_ == "ORG":
                if not any(m in other.text.lower() for m in US_GOVERNMENT_MARKERS):
                    return _ent_text(other)
        if any(m in prefix_lower for m in US_GOVERNMENT_MARKERS):
            return "US government"
        words = prefix_lower.replace("’s", "").replace("'s", "").split()
        if any(w in GOVERNMENT_TITLES for w in words):
            for word in words:
                gov = government_of(word)
                if gov:
                    return gov
            for other in doc.ents:
                if other.end <= start and other.start >= prefix_start - 3:
                    gov = government_of(other.text)
                    if gov:
                        return gov
        # "X, director of ... Chatham House," (read from the surface: the parser often
        # attaches the aside as a second subject rather than an apposition)
        if ent.end < len(doc) and doc[ent.end].text == ",":
            end = ent.end + 1
            while end < min(len(doc), ent.end + 25) and doc[end].text not in (",", ";", "—", "."):
                end += 1
            aside = doc[ent.end + 1 : end]
            if not any(t.lemma_.lower() in ("say", "tell") for t in aside):
                orgs = [
                    o
                    for o in doc.ents
                    if o.label_ == "ORG" and aside.start <= o.start and o.end <= aside.end
                ]
                if orgs:
                    return _ent_text(orgs[-1])
                words = aside.text.lower().split()
                if any(w in GOVERNMENT_TITLES for w in words):
                    for word in words:
                        gov = government_of(word)
                        if gov:
                            return gov
        return None

    # ---- main loop
    def _attribute(self, doc: Doc) -> None:
        sent_of, para_of, headlines = self._layout(doc)
        quoted = self._quoted(doc)
        book = NameBook()
        tracker = ReferentTracker(
            max_sentences=self.max_sentences_back, max_paragraphs=self.max_paragraphs_back
        )
        self._collect(doc, book, tracker, sent_of, para_of, quoted, headlines)
        last: tuple[int, Speaker] | None = None  # (paragraph, speaker) of the latest quote
        for span in doc.spans[QUOTES_KEY]:
            speaker, how = self._resolve(span, book, tracker, sent_of, para_of, last)
            span._.sw_speaker = speaker
            span._.sw_attribution = how if speaker is not None else None
            if speaker is not None:
                cue = span._.sw_cue
                pos = cue.start if cue is not None else span.start
                mention = span._.sw_mention
                report = cue is not None and cue.root.lemma_.lower() in ("report",)
                if mention is not None:
                    pos = mention.start
                tracker.add(
                    Referent(pos, sent_of[pos], para_of[pos], speaker, True, report, quoted=True)
                )
                last = (para_of[span.start], speaker)
        # a second pass so that every quote carries the final cluster view
        for span in doc.spans[QUOTES_KEY]:
            speaker = span._.sw_speaker
            if speaker is None or speaker.type == "unnamed":
                continue
            if speaker.type == "organization":
                # "Sudani's government" or a lone surname tagged ORG: once the
                # article names that person, the quote is theirs.
                person = book.find(speaker.name, "person")
                if person is not None and len(name_key(speaker.name)) < len(
                    name_key(person.canonical)
                ):
                    span._.sw_speaker = book.speaker(person.canonical, "person")
                    continue
            affiliation = speaker.affiliation
            if affiliation is None and speaker.type == "organization":
                affiliation = organization_side(speaker.name)
            span._.sw_speaker = book.speaker(speaker.name, speaker.type, affiliation)

    def _resolve(
        self,
        span: Span,
        book: NameBook,
        tracker: ReferentTracker,
        sent_of: list[int],
        para_of: list[int],
        last: tuple[int, Speaker] | None,
    ) -> tuple[Speaker | None, str]:
        mention = span._.sw_mention
        para = para_of[span.start]
        if mention is None or len(mention) == 0:
            if last is not None and para - last[0] <= self.max_paragraphs_back:
                return last[1], "flow"
            return None, "unresolved"
        if mention.root.pos_ == "PRON" and mention.root.lower_ in FIRST_PERSON:
            if last is not None:
                return last[1], "flow"
            return None, "unresolved"
        reading = self.reader.read(mention)
        if reading.anaphor is not None:
            pos = mention.start
            found = tracker.resolve(reading.anaphor, pos, sent_of[pos], para_of[pos])
            if found is not None:
                how = "pronoun" if reading.how == "pronoun" else "description"
                return found, how
            if reading.how == "pronoun":
                return None, "unresolved"
        if span._.sw_cue is not None and span._.sw_cue.root.lower_ == "according":
            reading.how = "according_to"
        return book.speaker(reading.name, reading.type, reading.affiliation), reading.how


@Language.factory(
    "stancewire_speakers",
    default_config={"max_sentences_back": 6, "max_paragraphs_back": 2},
)
def make_speaker_attributor(
    nlp: Language,
    name: str,
    *,
    max_sentences_back: int = 6,
    max_paragraphs_back: int = 2,
) -> SpeakerAttributor:
    """Factory of :class:`SpeakerAttributor` (registered as ``stancewire_speakers``).

    Args:
        nlp: the pipeline (unused; spaCy passes it).
        name: the component name.
        max_sentences_back: how far back a pronoun or description may find its antecedent.
        max_paragraphs_back: the same limit in paragraphs, also used for uncued quotes.
    """
    return SpeakerAttributor(
        max_sentences_back=max_sentences_back, max_paragraphs_back=max_paragraphs_back
    )
