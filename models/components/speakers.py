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
  any context: names (also those the tagger missed or called a facility),
  spokespeople, ``the office of X``, national bodies (``Iraq's government``,
  ``the U.S. military``), unnamed sources.
* :class:`ReferentTracker` remembers the candidates (sentence subjects,
  entities, described groups and bodies, quote speakers) and resolves pronouns
  and anaphoric descriptions by recency, main-clause subject preference, type
  and, for ``the group``/``the ministry``, the same noun; a lede's ``The
  leader of ...`` takes the person the next paragraph names.

Lookups go through indexes (names by last token, referents by position) and
bounded windows, so attribution stays linear in the article's length.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from stancewire.models.components.entities import known_side
from stancewire.models.components.quotes import (
    DATELINE_PARAGRAPHS,
    dateline_end,
    entity_at,
    is_headline,
    kids,
    paragraph_bounds,
)
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
    ministry count tally estimate survey poll study assessment investigation""".split()
)
"""Nouns through which a body or leader speaks: ``the office of X`` -> X."""

ORG_ANAPHOR_NOUNS: frozenset[str] = frozenset(
    """group militia faction movement organization organisation coalition alliance party
    government ministry embassy department agency council office administration bloc
    military army militants country kingdom""".split()
)
BODY_NOUNS: frozenset[str] = frozenset(
    """government ministry military army parliament administration embassy cabinet
    presidency police navy coalition command judiciary senate congress""".split()
)
"""Heads of national bodies that speak as themselves (``Iraq's government said``)."""

GOVERNMENT_BODIES: frozenset[str] = frozenset(
    "government ministry administration embassy cabinet presidency".split()
)
"""Bodies whose side is the national government (``Iran's foreign ministry``)."""

PLACE_WORDS: frozenset[str] = frozenset(
    """airport base bridge camp port hospital mosque shrine street square road tower palace
    zone dam stadium prison crossing highway gate building hotel school market station""".split()
)
"""Words that keep a FAC entity a place."""

ORG_WORDS: frozenset[str] = frozenset(
    """court council ministry party forces force command group house office department
    agency army brigade brigades movement front organization organisation union committee
    institute university center centre bank company corporation association authority
    coalition alliance network foundation commission cooperative federation syndicate
    """.split()
)
"""Words that make an unlabelled proper name an organisation."""

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
    "kurdistan": "Kurdistan Regional",
    "kurdistan region": "Kurdistan Regional",
    "the kurdistan region": "Kurdistan Regional",
}
"""Country names and adjectives to the adjective used in ``<X> government``."""

CAPITALS: dict[str, str] = {
    "baghdad": "Iraqi",
    "tehran": "Iranian",
    "washington": "US",
    "london": "British",
    "ankara": "Turkish",
    "damascus": "Syrian",
    "beirut": "Lebanese",
    "amman": "Jordanian",
    "riyadh": "Saudi",
    "moscow": "Russian",
    "beijing": "Chinese",
    "paris": "French",
}
"""Dateline cities to the adjective of the government filed from there."""

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

BARE_DEPARTMENTS: frozenset[str] = frozenset(
    {
        "defense",
        "defence",
        "state",
        "interior",
        "foreign",
        "treasury",
        "justice",
        "foreign ministry",
        "interior ministry",
        "defense ministry",
        "defence ministry",
    }
)
"""ORG entities that name a department but not whose (``Defense`` in ``Defense
Secretary X``): the nation comes from the other title words or the dateline."""

LEGISLATOR_TITLES: dict[str, str] = {
    "senator": "US Senate",
    "sen.": "US Senate",
    "congressman": "US Congress",
    "congresswoman": "US Congress",
    "rep.": "US Congress",
}
"""Titles right before a name that only the US Congress uses in this news."""

DESCRIPTION_SIDE_NOUNS: frozenset[str] = frozenset(
    """official officials diplomat diplomats envoy envoys ambassador negotiator negotiators
    aide aides minister ministers spokesman spokeswoman spokesperson source sources commander
    commanders officer officers general lawmaker lawmakers mp mps parliamentarian
    parliamentarians authorities""".split()
)
"""Heads of an unnamed source whose demonym names its side (``Iraqi officials``), unlike
``Iraqi residents`` or ``Iraqi analysts``."""

MILITARY_WORDS: frozenset[str] = frozenset(
    """military army forces troops commander general colonel col. gen. lt. maj. brig.
    marine marines navy admiral""".split()
)
"""Title words that make a national side its military rather than its government."""

_MAX_LINKED = 40
"""Most tokens read around one mention: a name phrase is short, and a cap keeps
a pathological parse from making the reading cost the article's length."""

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
        """The fullest form (most name tokens; the first one on a tie)."""
        best = self.forms[0]
        best_len = len(name_key(best))
        for form in self.forms[1:]:
            length = len(name_key(form))
            if length > best_len:
                best, best_len = form, length
        return best

    @property
    def aliases(self) -> tuple[str, ...]:
        canon = self.canonical
        seen: list[str] = []
        for form in self.forms:
            if form != canon and form not in seen and name_key(form) != name_key(canon):
                seen.append(form)
        return tuple(seen)


class NameBook:
    """Clusters the name forms of one article (one book per document).

    Forms are indexed by type and last name token: two forms can only match
    (equal, or one ending the other) when their last tokens agree, so a lookup
    reads a handful of forms, not the whole book, however long the article.
    """

    def __init__(self) -> None:
        self.clusters: list[NameCluster] = []
        self._index: dict[tuple[str, str], list[tuple[NameCluster, tuple[str, ...]]]] = {}

    def add(self, name: str, type_: str, affiliation: str | None = None) -> NameCluster | None:
        affiliation = side_of(affiliation)
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
            self._index.setdefault((type_, key[-1]), []).append((cluster, key))
        if affiliation and not cluster.affiliation:
            cluster.affiliation = affiliation
        return cluster

    def find(self, name: str, type_: str) -> NameCluster | None:
        key = name_key(strip_title(name) if type_ == "person" else name)
        if not key:
            return None
        best: NameCluster | None = None
        best_len = -1
        for cluster, fkey in self._index.get((type_, key[-1]), ()):
            if fkey == key or (
                type_ == "person" and (_is_suffix(key, fkey) or _is_suffix(fkey, key))
            ):
                length = len(name_key(cluster.canonical))
                if length > best_len:
                    best, best_len = cluster, length
        return best

    def speaker(self, name: str, type_: str, affiliation: str | None = None) -> Speaker:
        """The article-level :class:`Speaker` for one name form."""
        affiliation = side_of(affiliation)
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
    head: str | None = None  # the noun of a definite description ("group", "ministry")


def _ent_of(token: Token) -> Span | None:
    return entity_at(token)


def _looks_like_person(ent: Span) -> bool:
    """A FAC entity that is really a speaker's name (``Hossein Amiri Farahani``).

    The small model tags some Persian and Arabic names as facilities; a speaking
    "facility" of two to four capitalised words with no place word is a person.
    """
    words = [t for t in ent if t.text != "-"]
    return (
        2 <= len(words) <= 4
        and all(t.text[:1].isupper() for t in words)
        and not any(t.lower_ in PLACE_WORDS or t.lower_ in ORG_WORDS for t in words)
    )


def _placed(tok: Token, head: Token) -> bool:
    """Whether ``tok`` hangs on ``head`` through ``in``: ``a group in Hilla`` names a
    place, even when the tagger calls Hilla a person."""
    for _ in range(_MAX_LINKED):
        if tok == head or tok.head == tok:
            return False
        if tok.dep_ == "prep" and tok.lower_ == "in":
            return True
        tok = tok.head
    return False


def _delayed_name(mention: Span) -> bool:
    """``The leader of an alliance ...``: a definite, singular role with no name,
    the way a lede describes the person its next paragraph names."""
    head = mention.root
    return (
        head.pos_ == "NOUN"
        and head.tag_ == "NN"
        and head.lemma_.lower() in ROLE_NOUNS
        and any(c.dep_ == "det" and c.lower_ == "the" for c in kids(head))
        and not any(t.ent_type_ == "PERSON" for t in mention)
    )


def _ent_text(ent: Span) -> str:
    if ent.label_ == "PERSON":
        ent = _full_person(ent)
    text = ent.text
    if ent.label_ in ("ORG", "GPE", "NORP", "FAC") and text.lower().startswith("the "):
        text = text[4:]
    return _POSSESSIVE_RE.sub("", text).strip()


def _ents_in(doc: Doc, start: int, end: int, labels: tuple[str, ...]) -> list[Span]:
    """Entities with one of ``labels`` lying wholly inside ``doc[start:end]``."""
    out: list[Span] = []
    i = start
    while i < end:
        ent = entity_at(doc[i]) if doc[i].ent_type_ in labels else None
        if ent is not None:
            if ent.start >= start and ent.end <= end:
                out.append(ent)
            i = max(ent.end, i + 1)
        else:
            i += 1
    return out


def home_nation(doc: Doc) -> str | None:
    """The adjective of the country an article is filed from, read off its dateline
    (``BAGHDAD, June 8 (Reuters) -`` -> ``Iraqi``), or None."""
    full = doc.text
    for start, end in paragraph_bounds(doc)[:DATELINE_PARAGRAPHS]:
        text = full[start : min(end, start + 120)]
        cut = dateline_end(text)
        if cut:
            city = re.split(r"[,/(]", text[:cut])[0].strip(" -—–").lower()
            return CAPITALS.get(city) or DEMONYMS.get(city)
    return None


def _full_person(ent: Span) -> Span:
    """A PERSON entity with the given names the tagger left out (``Adel`` in
    ``Adel Fattah Jassim``): capitalised proper nouns built into the same name."""
    doc = ent.doc
    start = ent.start
    while (
        start > 0
        and ent.start - start < 3
        and doc[start - 1].pos_ == "PROPN"
        and not doc[start - 1].ent_type_
        and doc[start - 1].dep_ == "compound"
        and ent.start <= doc[start - 1].head.i < ent.end
        and doc[start - 1].text[:1].isupper()
        and doc[start - 1].lower_ not in TITLE_WORDS
        and doc[start - 1].lower_.rstrip(".") not in TITLE_WORDS
    ):
        start -= 1
    return ent if start == ent.start else Span(doc, start, ent.end, label=ent.label_)


def _span_text(doc: Doc, start: int, end: int) -> str:
    return doc[start:end].text.strip(' ,;:"“”')


def government_of(text: str) -> str | None:
    """``Iraq``/``Iraqi``/``Tehran`` -> ``Iraqi``/``Iranian`` government."""
    adjective = DEMONYMS.get(text.lower().strip())
    return _government(adjective) if adjective else None


def _government(adjective: str) -> str:
    """``Iraqi`` -> ``Iraqi government``; the Kurdish one by its own name, as the data writes it."""
    if adjective == "Kurdistan Regional":
        return "Kurdistan Regional Government"
    return f"{adjective} government"


def organization_side(name: str) -> str:
    """The side a body speaks for: ``Pentagon`` -> ``US government``, ``Tehran`` ->
    ``Iranian government``, any other body -> itself."""
    lower = name.lower()
    if any(marker in lower for marker in US_GOVERNMENT_MARKERS):
        return "US government"
    return government_of(lower) or name


def side_of(affiliation: str | None) -> str | None:
    """A person's affiliation as a side: ``U.S.`` -> ``US government``, ``Defense`` -> None.

    Why: a nation named before a title (``U.S. envoy X``) is tagged as an
    organisation, and the stance model reads the affiliation, so the nation is
    written as its government, the way the training data writes it; a bare
    department name says nothing about whose it is.
    """
    if not affiliation:
        return affiliation
    lower = affiliation.lower().strip()
    if lower in BARE_DEPARTMENTS:
        return None
    return government_of(lower) or affiliation


def description_side(mention: Span, head: Token) -> str | None:
    """The side an unnamed source speaks for, read off its own words.

    ``Iraqi military officials`` -> ``Iraqi military``, ``two Iraqi officials
    briefed on the talks`` -> ``Iraqi government``, ``U.S. and Iraqi officials``
    -> ``US and Iraqi governments``, ``Iran-backed factions`` -> ``Iran-backed
    militias``. Why: news quotes officials unnamed all the time, the stance
    model reads the affiliation, and a demonym is not an entity the parser
    links to the head. Residents, analysts and places (``diplomats in
    Baghdad``) get no side.
    """
    text = mention.text.lower().replace("’", "'")
    if re.search(
        r"\biran-(?:backed|aligned|allied)\b|\b(?:backed|supported) by (?:iran|tehran)\b", text
    ):
        return "Iran-backed militias"
    lemma = head.lemma_.lower()
    if lemma not in DESCRIPTION_SIDE_NOUNS and head.lower_ not in DESCRIPTION_SIDE_NOUNS:
        return None
    nations: list[str] = []
    words: set[str] = set()
    for tok in mention:
        if tok.i > head.i:
            break  # "officials in the prime minister's office": the head ends the side words
        words.add(tok.lower_)
        adjective = DEMONYMS.get(tok.lower_)
        if adjective and adjective not in nations and not _placed(tok, head):
            nations.append(adjective)
    if not nations:
        return None
    if words & MILITARY_WORDS or words & {"security", "officer", "officers"}:
        kind = "military" if words & MILITARY_WORDS else "security forces"
        return " and ".join(f"{n} {kind}" for n in nations)
    if words & {"lawmaker", "lawmakers", "mp", "mps", "parliamentarian", "parliamentarians"}:
        return " and ".join(f"{n} parliament" for n in nations)
    if len(nations) == 1:
        return _government(nations[0])
    return " and ".join(nations) + " governments"


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
        persons = [e for e in ents if e.label_ == "PERSON" and not _placed(e.root, head)]
        orgs = [e for e in ents if e.label_ in ("ORG", "GPE", "FAC")]
        head_ent = _ent_of(head)
        head_lemma = head.lemma_.lower()

        # "Iraq's government", "the Iraqi military": a national body speaks as itself.
        body = self._national_body(mention, head, head_ent)
        if body is not None:
            return body

        # The office / statement / government of X speaks for X.
        if head_ent is None and (lower in CONTAINER_NOUNS or head_lemma in CONTAINER_NOUNS):
            if lower not in ("spokesman", "spokesperson", "spokeswoman") or not persons:
                owner = self._owner(head)
                if owner is not None:
                    if owner.label_ == "PERSON":
                        return Reading(_ent_text(owner), "person", "description")
                    return Reading(_ent_text(owner), "organization", "description")
                poss = [c for c in kids(head) if c.dep_ == "poss" and c.pos_ == "PRON"]
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
        if head_ent is not None and head_ent.label_ == "FAC" and _looks_like_person(head_ent):
            return Reading(_ent_text(head_ent), "person", "subject")
        if head_lemma in ROLE_NOUNS or lower in ROLE_NOUNS:
            named = self._appositive_name(head)
            if named is not None:
                affiliation = next((_ent_text(e) for e in orgs if e.end <= named.start), None)
                return Reading(_ent_text(named), "person", "apposition", affiliation=affiliation)
        if persons:
            person = persons[-1] if head.i < persons[-1].start else persons[0]
            how = "apposition" if any(c.dep_ == "appos" for c in kids(head)) else "subject"
            affiliation = next((_ent_text(e) for e in orgs if e.end <= person.start), None)
            return Reading(_ent_text(person), "person", how, affiliation=affiliation)
        if head_ent is not None and head_ent.label_ in ("ORG", "GPE", "FAC"):
            return Reading(_ent_text(head_ent), "organization", "subject")
        if head_ent is not None and head_ent.label_ == "NORP" and head.pos_ == "PROPN":
            return Reading(_ent_text(head_ent), "organization", "subject")
        unlabelled = self._unlabelled_name(mention, head)
        if unlabelled is not None:
            return unlabelled

        # Definite descriptions point back: "the group", "the statement", "the 37-year-old".
        determiners = [c.lower_ for c in kids(head) if c.dep_ == "det"]
        definite = "the" in determiners or "this" in determiners or "that" in determiners
        if definite and not orgs:
            if lower in STATEMENT_NOUNS or head_lemma in STATEMENT_NOUNS:
                kind = "report" if head_lemma == "report" else "statement"
                return Reading(mention.text, "unnamed", "description", anaphor=kind)
            if head_lemma in ROLE_NOUNS or re.search(r"year-? ?old", mention.text.lower()):
                return Reading(mention.text, "unnamed", "description", anaphor="person")
            if head_lemma in ORG_ANAPHOR_NOUNS and head.tag_ not in ("NNS", "NNPS"):
                return Reading(
                    mention.text, "unnamed", "description", anaphor="org", head=head_lemma
                )
        # "Diplomats in Baghdad", "politicians in Nineveh province": a place, not a side
        sides = [e for e in orgs if not _placed(e.root, head)]
        affiliation = description_side(mention, head) or (_ent_text(sides[0]) if sides else None)
        return Reading(
            self._description(mention), "unnamed", "description", affiliation=affiliation
        )

    @staticmethod
    def _national_body(mention: Span, head: Token, head_ent: Span | None) -> Reading | None:
        """``Iraq's interim government``, ``the U.S. military``, ``Iran's foreign ministry``.

        ANNOTATION.md section 2: organisations speak as themselves. A body noun
        with a country in front is a name, not an anaphor like ``the military``,
        and not the country itself (``Iraq`` is not who issued the statement).
        """
        doc = mention.doc
        if head.lemma_.lower() not in BODY_NOUNS and head.lower_ not in BODY_NOUNS:
            return None
        if head_ent is not None and head_ent.label_ == "PERSON":
            return None
        nations = [
            c
            for c in kids(head)
            if c.i < head.i
            and c.dep_ in ("poss", "amod", "compound", "nmod")
            and (c.ent_type_ in ("GPE", "NORP") or c.lower_ in DEMONYMS)
        ]
        if not nations:
            return None
        start = min(c.left_edge.i for c in nations)
        while start < head.i and doc[start].dep_ == "det":
            start += 1
        name = _span_text(doc, start, head.i + 1)
        nation = nations[0]
        nation_text = (_ent_of(nation) or doc[nation.i : nation.i + 1]).text
        side = organization_side(name)
        if side == name:
            gov = government_of(_POSSESSIVE_RE.sub("", nation_text))
            if gov and head.lemma_.lower() in GOVERNMENT_BODIES:
                side = gov
        return Reading(name, "organization", "subject", affiliation=side)

    @staticmethod
    def _unlabelled_name(mention: Span, head: Token) -> Reading | None:
        """A capitalised name the statistical NER left without a label.

        Arabic and Kurdish names are often missed; a run of two to four proper
        nouns is a person unless an organisation word is part of it.
        """
        if head.pos_ != "PROPN" or head.ent_type_:
            return None
        doc = mention.doc
        start = head.i
        while (
            start > mention.start
            and doc[start - 1].pos_ == "PROPN"
            and not (doc[start - 1].ent_type_)
        ):
            start -= 1
        words = [t for t in doc[start : head.i + 1] if t.text != "-"]
        if not 2 <= len(words) <= 4 or not all(t.text[:1].isupper() for t in words):
            return None
        name = strip_title(_span_text(doc, start, head.i + 1))
        if len(name.split()) < 2:
            return None
        if any(t.lower_ in ORG_WORDS for t in words):
            return Reading(_span_text(doc, start, head.i + 1), "organization", "subject")
        return Reading(name, "person", "subject")

    @staticmethod
    def _description(mention: Span) -> str:
        text = mention.text.strip(' ,;:"“”')
        return re.sub(r"\s+", " ", text)

    @staticmethod
    def _linked_tokens(head: Token) -> list[Token]:
        """Tokens tied to ``head`` by name-building relations (not clauses)."""
        out = [head]
        seen = {head.i}
        stack = [head]
        while stack and len(out) < _MAX_LINKED:
            tok = stack.pop()
            for child in kids(tok):
                dep = child.dep_
                ok = dep in _NAME_DEPS
                if dep == "prep" and child.lower_ in ("of", "for", "at", "from", "in", "with"):
                    ok = True
                if ok and child.i not in seen:
                    seen.add(child.i)
                    out.append(child)
                    stack.append(child)
        return out

    @staticmethod
    def _linked_ents(doc: Doc, linked: list[Token], mention: Span) -> list[Span]:
        found: dict[int, Span] = {}
        for tok in linked:
            if tok.ent_type_ not in ("PERSON", "ORG", "GPE", "FAC"):
                continue
            ent = entity_at(tok)
            if ent is not None:
                found.setdefault(ent.start, ent)
        return [found[k] for k in sorted(found)]

    @staticmethod
    def _appositive_name(head: Token) -> Span | None:
        """NAME in ``A senior adviser to X, NAME, said`` (the apposition may attach to X)."""
        doc = head.doc
        for tok in doc[head.i + 1 : min(head.right_edge.i + 1, head.i + _MAX_LINKED)]:
            if tok.dep_ != "appos" or tok.pos_ != "PROPN" or not head.is_ancestor(tok):
                continue
            if tok.doc[tok.left_edge.i - 1].text != ",":
                continue
            ent = _ent_of(tok)
            if ent is None:
                start = tok.i
                while start > tok.left_edge.i and tok.doc[start - 1].pos_ == "PROPN":
                    start -= 1
                ent = Span(tok.doc, start, tok.i + 1, label="PERSON")
            # a role's apposition is a person even where the tagger says ORG or FAC
            if ent.label_ == "PERSON" or _looks_like_person(ent):
                return Span(tok.doc, ent.start, ent.end, label="PERSON")
        return None

    @staticmethod
    def _owner(head: Token) -> Span | None:
        """X in ``X's office``, ``the office of X``, ``the reports at X``."""
        for child in kids(head):
            if child.dep_ == "poss" and child.pos_ != "PRON":
                ent = _ent_of(child)
                if ent is not None and ent.label_ in ("PERSON", "ORG", "GPE", "FAC", "NORP"):
                    return ent
            if child.dep_ == "prep" and child.lower_ in ("of", "at", "from"):
                for pobj in kids(child):
                    if pobj.dep_ != "pobj":
                        continue
                    ent = _ent_of(pobj)
                    if ent is None:
                        for sub in kids(pobj):
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
    main: bool = False  # the subject of its sentence's main verb
    place: bool = False  # a country or city (it can be "it", not "the ministry")


_MAX_CANDIDATES = 200
"""Most referents a pronoun looks back over (a sentence that never ends, in a
malformed article, must not make each lookup cost the article's length)."""

_FAR_REACH = 4
"""How many times further back than a pronoun a definite description may look."""


class ReferentTracker:
    """Candidates for pronouns and descriptions, in document order."""

    def __init__(self, *, max_sentences: int = 6, max_paragraphs: int = 2) -> None:
        self.max_sentences = max_sentences
        self.max_paragraphs = max_paragraphs
        self.referents: list[Referent] = []
        self._keys: list[int] | None = None  # positions, kept in step with the referents

    def add(self, referent: Referent) -> None:
        """Insert ``referent`` keeping the list (and its positions) in document order."""
        keys = self._positions()
        at = bisect.bisect_right(keys, referent.position)
        keys.insert(at, referent.position)
        self.referents.insert(at, referent)

    def _positions(self) -> list[int]:
        if self._keys is None or len(self._keys) != len(self.referents):
            self._keys = [r.position for r in self.referents]
        return self._keys

    def _window(
        self, position: int, sentence: int, paragraph: int, *, far: bool = False
    ) -> list[Referent]:
        """Referents before ``position`` within the sentence and paragraph limits.

        Walks back from ``position`` and stops at the first one out of range
        (sentences and paragraphs only grow along the article), so each lookup
        costs the size of the window, not of the article.
        """
        keys = self._positions()
        i = bisect.bisect_left(keys, position)
        reach = _FAR_REACH if far else 1
        out: list[Referent] = []
        stop = max(0, i - _MAX_CANDIDATES * reach)
        while i > stop:
            i -= 1
            ref = self.referents[i]
            if sentence - ref.sentence > self.max_sentences * reach:
                break
            if paragraph - ref.paragraph > self.max_paragraphs * reach:
                break
            out.append(ref)
        out.reverse()
        return out

    def resolve(
        self,
        kind: str,
        position: int,
        sentence: int,
        paragraph: int,
        *,
        head: str | None = None,
    ) -> Speaker | None:
        """The antecedent of an anaphor of ``kind`` at ``position``.

        ``head`` is the noun of a definite description (``the group``, ``the
        ministry``): such descriptions reach further back than pronouns, prefer
        an antecedent described with the same noun (``an industry group ...``)
        and never point to a country or city (a ministry is not ``Baghdad``).
        """
        if head is not None and kind != "person":
            # near first (same noun, then any body), then further back the same way
            for far in (False, True):
                window = self._window(position, sentence, paragraph, far=far)
                same = [r for r in window if self._same_noun(head, r)]
                if same:
                    return max(same, key=lambda r: r.position).speaker
                if head in BODY_NOUNS:
                    continue  # "the military" is not the government named before it
                window = [r for r in window if not r.place]
                pool = [r for r in window if self._compatible(kind, r, sentence)]
                if pool:
                    return self._pick(kind, pool)
            return None
        window = self._window(position, sentence, paragraph)
        pool = [r for r in window if self._compatible(kind, r, sentence)]
        if not pool and kind == "person":
            # NER often tags a lone surname as ORG: fall back to a recent quoted source.
            pool = [
                r
                for r in window
                if r.quoted
                and sentence - r.sentence <= 2
                and r.speaker.type == "organization"
                and len(r.speaker.name.split()) <= 3
            ]
        if not pool:
            return None
        return self._pick(kind, pool)

    @staticmethod
    def _same_noun(head: str, ref: Referent) -> bool:
        return ref.speaker.type != "person" and head in ref.speaker.name.lower().split()

    @staticmethod
    def _pick(kind: str, pool: list[Referent]) -> Speaker:
        """The most likely antecedent among compatible ones: a reported source for a
        statement, else the latest sentence's (main) subject, else the latest."""
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
                # the subject of the main verb over one inside a clause
                return max(subjects, key=lambda r: (r.main, r.position)).speaker
        return max(pool, key=lambda r: r.position).speaker

    def introduced_next(self, position: int, paragraph: int) -> Speaker | None:
        """The first person named as a subject in the paragraph after ``position``.

        News ledes often delay a name (``The leader of an alliance ... said``)
        and give it at the start of the next paragraph.
        """
        keys = self._positions()
        for i in range(bisect.bisect_right(keys, position), len(self.referents)):
            ref = self.referents[i]
            if ref.paragraph > paragraph + 1:
                break
            if (
                ref.paragraph == paragraph + 1
                and ref.subject
                and ref.speaker.type == "person"
                and not ref.institution
            ):
                return ref.speaker
        return None

    @staticmethod
    def _compatible(kind: str, ref: Referent, sentence: int) -> bool:
        stype = ref.speaker.type
        if kind == "person":
            # "Zaidi's office said he had ordered ...": within its own sentence an
            # office or government stands for the person who leads it
            return stype == "person" and (not ref.institution or ref.sentence == sentence)
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
        text = doc.text
        headlines = {i for i, (a, b) in enumerate(bounds) if is_headline(text[a:b])}
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
        home = home_nation(doc)
        for ent in doc.ents:
            if quoted[ent.start] or ent.label_ not in ("PERSON", "ORG", "GPE"):
                continue
            type_ = "person" if ent.label_ == "PERSON" else "organization"
            affiliation = self._affiliation(ent, home) if type_ == "person" else None
            book.add(_ent_text(ent), type_, affiliation)
        for tok in doc:
            if quoted[tok.i] or tok.dep_ not in ("nsubj", "nsubjpass", "pobj", "dobj", "appos"):
                continue
            if para_of[tok.i] in headlines:
                continue
            if tok.pos_ not in ("PROPN", "NOUN"):
                continue
            ent = _ent_of(tok)
            if (
                tok.pos_ == "NOUN"
                and ent is None
                and tok.lemma_.lower() not in CONTAINER_NOUNS
                and tok.dep_ not in ("nsubj", "nsubjpass")
            ):
                continue
            start, end = tok.left_edge.i, tok.right_edge.i + 1
            mention = doc[max(start, tok.i - 8) : min(end, tok.i + 1)]
            reading = self.reader.read(mention)
            subject = tok.dep_ in ("nsubj", "nsubjpass")
            main = subject and tok.head.dep_ == "ROOT"
            if reading.anaphor:
                if subject and reading.head is not None:
                    # "the transport ministry agreed": a body described, not named
                    described = self._body_description(tok, reading, tracker, sent_of, para_of)
                    if described is not None:
                        tracker.add(
                            Referent(
                                tok.i, sent_of[tok.i], para_of[tok.i], described, True, main=main
                            )
                        )
                continue
            if reading.type == "unnamed":
                # "Local fishermen met ... They said", "The farmers' cooperative met ...
                # It said": described groups and bodies are antecedents too
                described = self._described_antecedent(tok, reading) if subject else None
                if described is not None:
                    tracker.add(
                        Referent(tok.i, sent_of[tok.i], para_of[tok.i], described, True, main=main)
                    )
                continue
            speaker = book.speaker(reading.name, reading.type, reading.affiliation)
            report = subject and tok.head.lemma_.lower() in ("report", "publish", "quote")
            institution = reading.type == "person" and ent is None
            tracker.add(
                Referent(
                    tok.i,
                    sent_of[tok.i],
                    para_of[tok.i],
                    speaker,
                    subject,
                    report,
                    institution,
                    main=main,
                    place=ent is not None and ent.label_ == "GPE",
                )
            )
        tracker.referents.sort(key=lambda r: r.position)
        tracker._keys = None

    @staticmethod
    def _body_description(
        tok: Token,
        reading: Reading,
        tracker: ReferentTracker,
        sent_of: list[int],
        para_of: list[int],
    ) -> Speaker | None:
        """What a definite description of a body stands for, as an antecedent.

        ``the ministry`` repeats an earlier body; ``the transport ministry``, with
        a word of its own, introduces one when nothing earlier matches.
        """
        found = tracker.resolve(
            reading.anaphor or "org", tok.i, sent_of[tok.i], para_of[tok.i], head=reading.head
        )
        if found is not None:
            return found
        modified = any(c.dep_ in ("compound", "amod") and c.i < tok.i for c in kids(tok))
        if not modified:
            return None
        name = re.sub(r"^(?:the|this|that)\s+", "", reading.name.strip(), flags=re.IGNORECASE)
        return Speaker(name=name, type="organization", affiliation=organization_side(name))

    @staticmethod
    def _described_antecedent(tok: Token, reading: Reading) -> Speaker | None:
        """A described subject that ``it`` or ``they`` can point back to.

        A body without a proper name (``the farmers' cooperative``) is an
        organisation; a plural description (``local fishermen``) stays unnamed.
        """
        lemma = tok.lemma_.lower()
        if tok.pos_ != "NOUN":
            return None
        if tok.tag_ == "NN" and (lemma in ORG_ANAPHOR_NOUNS or lemma in ORG_WORDS):
            name = re.sub(r"^(?:the|a|an)\s+", "", reading.name, flags=re.IGNORECASE)
            return Speaker(name=name, type="organization", affiliation=reading.affiliation)
        if tok.tag_ == "NNS":
            return Speaker(name=reading.name, type="unnamed", affiliation=reading.affiliation)
        return None

    def _affiliation(self, ent: Span, home: str | None = None) -> str | None:
        """The side a named person speaks for, from the words around the name.

        Reads ``Kataib Hezbollah spokesman X`` and ``Iraqi Foreign Minister X``
        (before the name), ``Iran's foreign minister, X,`` (a role set off by a
        comma before it) and ``X, director of ... Chatham House,`` (after it).
        A government title with no country (``Prime Minister X``) takes the
        country of the article's dateline, ``home``. Only a few words around the
        name are read, so the cost does not grow with the article.
        """
        doc = ent.doc
        start = ent.start
        prefix_start = start
        while prefix_start > 0 and doc[prefix_start - 1].pos_ in ("PROPN", "NOUN", "ADJ", "PART"):
            if doc[prefix_start - 1].text in (",", "("):
                break
            prefix_start -= 1
            if start - prefix_start > 8:
                break
        if prefix_start == start and start > 1 and doc[start - 1].text == ",":
            # "Iran's foreign minister, Abbas Mohebbi-Nia,": the role before the comma
            role = doc[start - 2]
            if role.lemma_.lower() in ROLE_NOUNS or role.lower_ in GOVERNMENT_TITLES:
                prefix_start = max(role.left_edge.i, start - 10)
                start = start - 1
        found = self._side_in(doc, prefix_start, start, home)
        if found:
            return found
        # "X, director of ... Chatham House," (read from the surface: the parser often
        # attaches the aside as a second subject rather than an apposition)
        if ent.end < len(doc) and doc[ent.end].text == ",":
            end = ent.end + 1
            while end < min(len(doc), ent.end + 25) and doc[end].text not in (",", ";", "—", "."):
                end += 1
            aside = doc[ent.end + 1 : end]
            if not any(t.lemma_.lower() in ("say", "tell") for t in aside):
                orgs = _ents_in(doc, aside.start, aside.end, ("ORG",))
                if orgs:
                    return _ent_text(orgs[-1])
                words = aside.text.lower().split()
                if any(w in GOVERNMENT_TITLES for w in words):
                    for word in words:
                        gov = government_of(word)
                        if gov:
                            return gov
        # nothing in the article's words: the side a reader of this news knows
        return known_side(_ent_text(ent))

    @staticmethod
    def _side_in(doc: Doc, start: int, end: int, home: str | None) -> str | None:
        """The side named by the title words ``doc[start:end]`` before a name."""
        prefix_lower = doc[start:end].text.lower()
        for other in _ents_in(doc, start, end, ("ORG",)):
            lower = other.text.lower()
            if government_of(lower) or lower in BARE_DEPARTMENTS:
                # "U.S." or "Defense" is not the body: the title words say whose it is
                # ("Secretary of State" reaches back past the "of" the prefix stops at)
                prefix_lower = doc[max(0, start - 4) : end].text.lower()
                continue
            if not any(m in lower for m in US_GOVERNMENT_MARKERS):
                return _ent_text(other)
        if any(m in prefix_lower for m in US_GOVERNMENT_MARKERS):
            return "US government"
        words = prefix_lower.replace("’s", "").replace("'s", "").split()
        if words and words[-1] in LEGISLATOR_TITLES:
            return LEGISLATOR_TITLES[words[-1]]
        if any(w in MILITARY_WORDS for w in words):
            for word in words:
                adjective = DEMONYMS.get(word)
                if adjective:
                    return f"{adjective} military"
        if any(w in GOVERNMENT_TITLES for w in words):
            for word in words:
                gov = government_of(word)
                if gov:
                    return gov
            for other in _ents_in(doc, max(0, start - 3), end, ("GPE", "NORP")):
                gov = government_of(other.text)
                if gov:
                    return gov
            if home:
                return f"{home} government"
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
        lede = next((p for p in range(max(para_of, default=0) + 1) if p not in headlines), -1)
        last: tuple[int, Speaker] | None = None  # (paragraph, speaker) of the latest quote
        for span in doc.spans[QUOTES_KEY]:
            speaker, how = self._resolve(span, book, tracker, sent_of, para_of, last, lede)
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
        lede: int = -1,
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
            found = tracker.resolve(
                reading.anaphor, pos, sent_of[pos], para_of[pos], head=reading.head
            )
            if found is not None:
                how = "pronoun" if reading.how == "pronoun" else "description"
                return found, how
            if reading.how == "pronoun":
                return None, "unresolved"
        if para_of[mention.start] == lede and _delayed_name(mention):
            named = tracker.introduced_next(mention.start, lede)
            if named is not None:
                return named, "description"
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
