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
    """Case-insensitive token patterns for every listed name, all labelled ORG."""
    patterns: list[dict[str, object]] = []
    seen: set[tuple[str, ...]] = set()
    for group in (MILITIAS, PARTIES, BODIES):
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
                patterns.append({"label": "ORG", "pattern": pattern})
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
