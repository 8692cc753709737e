"""An entity ruler for the actors of Iraqi news that the small model gets wrong.

``en_core_web_sm`` reads most militia names (``Kataib Hezbollah``, ``Asaib Ahl
al-Haq``) as PERSON and misses many bodies and blocs entirely. Speaker
attribution decides between ``person`` and ``organization`` from entity labels,
so these names are fixed up front by a rule-based ``entity_ruler`` placed before
``ner`` (the statistical NER then keeps the ruler's entities and labels the rest).
"""

from __future__ import annotations

import re

from spacy.language import Language

RULER_NAME = "stancewire_entity_ruler"
"""Pipe name of the ruler, so that adding it twice is a no-op."""

MILITIAS: tuple[str, ...] = (
    "Kataib Hezbollah",
    "Kata'ib Hezbollah",
    "Kata'ib Hizballah",
    "Kataib Hizballah",
    "Kataib Hizbollah",
    "Kataeb Hezbollah",
    "Hezbollah Brigades",
    "Harakat al-Nujaba",
    "Harakat Hezbollah al-Nujaba",
    "Nujaba Movement",
    "al-Nujaba Movement",
    "al-Nujaba",
    "Nujaba",
    "Kataib Sayyid al-Shuhada",
    "Kata'ib Sayyid al-Shuhada",
    "Sayyid al-Shuhada Brigades",
    "Asaib Ahl al-Haq",
    "Asa'ib Ahl al-Haq",
    "Islamic Resistance in Iraq",
    "Islamic Resistance of Iraq",
    "Popular Mobilization Forces",
    "Popular Mobilisation Forces",
    "Popular Mobilization Units",
    "Popular Mobilisation Units",
    "Popular Mobilization Committee",
    "Popular Mobilization Authority",
    "PMF",
    "PMU",
    "Hashd al-Shaabi",
    "al-Hashd al-Shaabi",
    "Hashd",
    "Badr Organization",
    "Badr Organisation",
    "Badr Brigade",
    "Badr",
    "Saraya al-Salam",
    "Peace Brigades",
    "Kataib al-Imam Ali",
    "Kataib Jund al-Imam",
    "Saraya Khorasani",
    "Quds Force",
    "Islamic Revolutionary Guard Corps",
    "Revolutionary Guards",
    "IRGC",
    "Hezbollah",
    "Hamas",
    "Houthis",
    "Islamic State",
    "ISIS",
    "ISIL",
    "Daesh",
)
"""Armed factions; variant spellings are listed since transliteration varies."""

PARTIES: tuple[str, ...] = (
    "Coordination Framework",
    "Shiite Coordination Framework",
    "Framework Coalition",
    "Sadrist movement",
    "Sadrist Movement",
    "Sadrist bloc",
    "Kurdistan Democratic Party",
    "Patriotic Union of Kurdistan",
    "KDP",
    "PUK",
    "Dawa Party",
    "Islamic Dawa Party",
    "Dawa",
    "State of Law",
    "State of Law Coalition",
    "Fatah Alliance",
    "Fateh Alliance",
    "Sadiqoun",
    "Taqaddum",
    "Azm Alliance",
    "Hikma",
    "National Wisdom Movement",
)
"""Political parties and parliamentary blocs."""

BODIES: tuple[str, ...] = (
    "Pentagon",
    "White House",
    "State Department",
    "US State Department",
    "U.S. State Department",
    "Department of Defense",
    "Defense Department",
    "Department of State",
    "CENTCOM",
    "US Central Command",
    "U.S. Central Command",
    "Central Command",
    "National Security Council",
    "Iraqi Foreign Ministry",
    "Iraqi Ministry of Foreign Affairs",
    "Foreign Ministry",
    "Iraqi Defense Ministry",
    "Iraqi Ministry of Defense",
    "Iraqi Interior Ministry",
    "Iraqi Ministry of Interior",
    "Iraqi Joint Operations Command",
    "Joint Operations Command",
    "Security Media Cell",
    "Iraqi Security Media Cell",
    "Iraqi parliament",
    "Iraqi Parliament",
    "Council of Representatives",
    "Kurdistan Regional Government",
    "KRG",
    "Iraqi National Security Council",
    "Supreme National Security Council",
    "Iranian Foreign Ministry",
    "Chatham House",
    "Soufan Group",
    "Iraq Foundation",
    "Washington Institute",
    "Atlantic Council",
    "Al-Ain",
    "IRNA",
    "Reuters",
    "AFP",
    "Associated Press",
)
"""Government bodies, think tanks and news agencies that speak in the news."""


KNOWN_PEOPLE: dict[str, str] = {
    # Iraqi government: prime ministers, presidents, ministers, spokesmen
    "Mohammed Shia al-Sudani": "Iraqi government",
    "Mohammed Shia al-Soudani": "Iraqi government",
    "Mustafa al-Kadhimi": "Iraqi government",
    "Adel Abdul Mahdi": "Iraqi government",
    "Adil Abdul-Mahdi": "Iraqi government",
    "Haider al-Abadi": "Iraqi government",
    "Fuad Hussein": "Iraqi government",
    "Abdul Latif Rashid": "Iraqi government",
    "Barham Salih": "Iraqi government",
    "Qasim al-Araji": "Iraqi government",
    "Basim al-Awadi": "Iraqi government",
    "Thabet al-Abbasi": "Iraqi government",
    "Yehia Rasool": "Iraqi military",
    "Yahya Rasool": "Iraqi military",
    # factions, the PMF and Shiite blocs
    "Qais al-Khazali": "Asaib Ahl al-Haq",
    "Hadi al-Amiri": "Badr Organization",
    "Hadi al-Ameri": "Badr Organization",
    "Akram al-Kaabi": "Harakat al-Nujaba",
    "Abu Ali al-Askari": "Kataib Hezbollah",
    "Abu Hussein al-Hamidawi": "Kataib Hezbollah",
    "Abu Alaa al-Walai": "Kataib Sayyid al-Shuhada",
    "Abu Mahdi al-Muhandis": "Popular Mobilization Forces",
    "Falih al-Fayyadh": "Popular Mobilization Forces",
    "Faleh al-Fayyad": "Popular Mobilization Forces",
    "Abu Fadak al-Mohammadawi": "Popular Mobilization Forces",
    "Moqtada al-Sadr": "Sadrist movement",
    "Muqtada al-Sadr": "Sadrist movement",
    "Ammar al-Hakim": "Hikma movement",
    "Nouri al-Maliki": "State of Law coalition",
    "Nuri al-Maliki": "State of Law coalition",
    "Ali al-Sistani": "Shiite religious authority",
    # Kurdistan
    "Masoud Barzani": "Kurdistan Democratic Party",
    "Nechirvan Barzani": "Kurdistan Regional Government",
    "Masrour Barzani": "Kurdistan Regional Government",
    "Bafel Talabani": "Patriotic Union of Kurdistan",
    # Iran
    "Ali Khamenei": "Iranian government",
    "Ebrahim Raisi": "Iranian government",
    "Masoud Pezeshkian": "Iranian government",
    "Hassan Rouhani": "Iranian government",
    "Hossein Amir-Abdollahian": "Iranian government",
    "Abbas Araghchi": "Iranian government",
    "Mohammad Javad Zarif": "Iranian government",
    "Nasser Kanaani": "Iranian government",
    "Nasser Kanani": "Iranian government",
    "Esmaeil Baghaei": "Iranian government",
    "Qassem Soleimani": "Islamic Revolutionary Guard Corps",
    "Qasem Soleimani": "Islamic Revolutionary Guard Corps",
    "Esmail Qaani": "Islamic Revolutionary Guard Corps",
    # United States
    "Joe Biden": "US government",
    "Donald Trump": "US government",
    "Lloyd Austin": "US government",
    "Antony Blinken": "US government",
    "Jake Sullivan": "US government",
    "John Kirby": "US government",
    "Matthew Miller": "US government",
    "Karine Jean-Pierre": "US government",
    "Sabrina Singh": "US government",
    "Pat Ryder": "US military",
    "Mark Esper": "US government",
    "Mike Pompeo": "US government",
    "Pete Hegseth": "US government",
    "Marco Rubio": "US government",
    "Alina Romanowski": "US government",
    "Erik Kurilla": "US military",
    "Michael Kurilla": "US military",
}
"""Prominent people of this news and the side each is usually quoted for.

The ruler tags them PERSON (the small model reads ``Hadi al-Amiri`` as a
place in some sentences), and the attributor falls back on this side when the
article itself does not say it (``Prime Minister Mohammed Shia al-Sudani``
with no country). What the article says always wins: the list gives the side
a reader of this news would assume, which for some (a former prime minister
now leading a bloc) is the current one.
"""


def _name_key(name: str) -> str:
    return re.sub(r"\b[aA]l[- ]", "al-", name).lower().strip()


_KNOWN_SIDES = {_name_key(name): side for name, side in KNOWN_PEOPLE.items()}


def known_side(name: str) -> str | None:
    """The side :data:`KNOWN_PEOPLE` gives a full name (``al-``/``Al-``/``al `` alike)."""
    return _KNOWN_SIDES.get(_name_key(name))


def _variants(name: str) -> set[str]:
    """Spellings of ``name`` with the Arabic article written ``al-``, ``Al-`` or ``al ``.

    Why: the same faction appears as ``al-Nujaba``, ``Al-Nujaba`` and ``al Nujaba``.
    """
    out = {name}
    if re.search(r"\b[aA]l-", name):
        out.add(re.sub(r"\b[aA]l-", "al ", name))
        out.add(re.sub(r"\b[aA]l-", "Al-", name))
    return out


def _patterns(nlp: Language) -> list[dict[str, object]]:
    """Case-insensitive token patterns for every listed name: bodies ORG, people PERSON."""
    patterns: list[dict[str, object]] = []
    seen: set[tuple[str, ...]] = set()
    groups = [(g, "ORG") for g in (MILITIAS, PARTIES, BODIES)] + [(tuple(KNOWN_PEOPLE), "PERSON")]
    for group, label in groups:
        for name in group:
            for variant in _variants(name):
                words = tuple(t.text.lower() for t in nlp.make_doc(variant))
                if not words or words in seen:
                    continue
                seen.add(words)
                # Acronyms match case-sensitively so "pmf"/"badr" in prose stay safe.
                if len(words) == 1 and variant.isupper():
                    pattern = [{"TEXT": variant}]
                else:
                    pattern = [{"LOWER": w} for w in words]
                patterns.append({"label": label, "pattern": pattern})
    return patterns


def add_entity_ruler(nlp: Language) -> None:
    """Add the stancewire entity ruler before ``ner`` (idempotent).

    Args:
        nlp: a pipeline with (ideally) an ``ner`` component; without one the
            ruler is appended at the end.
    """
    if RULER_NAME in nlp.pipe_names:
        return
    where: dict[str, str] = {"before": "ner"} if "ner" in nlp.pipe_names else {}
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=RULER_NAME,
        config={"overwrite_ents": True, "phrase_matcher_attr": None},
        **where,
    )
    ruler.add_patterns(_patterns(nlp))  # type: ignore[attr-defined]
