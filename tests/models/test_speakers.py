"""Speaker attribution on small hand-written cases (ANNOTATION.md section 2).

Each case pins one attribution pattern: subject, inverted subject, apposition,
spokesperson compounds, ``the office of X``, pronouns, descriptions, uncued
continuation, name clustering and unnamed sources.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from stancewire.models.components import build_nlp
from stancewire.models.components.speakers import NameBook, name_key, strip_title
from stancewire.models.doc_attrs import QUOTES_KEY, Speaker

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nlp_quotes() -> Language:
    return build_nlp()


def attributed(doc: Doc) -> list[tuple[str, Speaker | None, str | None]]:
    return [(span.text, span._.sw_speaker, span._.sw_attribution) for span in doc.spans[QUOTES_KEY]]


def test_subject_of_said(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Iraqi Foreign Minister Fuad Hussein said that Baghdad is moving to prevent "
        "the expansion of the conflict."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker == Speaker("Fuad Hussein", "person", (), "Iraqi government")
    assert how == "subject"


def test_spokesman_compound_gives_name_and_affiliation(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“We will respond to every attack,” said Kataib Hezbollah spokesman Jaafar al-Husseini."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.type, speaker.affiliation) == (
        "Jaafar al-Husseini",
        "person",
        "Kataib Hezbollah",
    )


def test_apposition_affiliation(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“Neither wants an escalation,” said Renad Mansour, director of the Iraq Initiative "
        "at the London-based research group Chatham House."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.affiliation) == ("Renad Mansour", "Chatham House")


def test_name_given_in_apposition_to_a_role(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "A senior adviser to Prime Minister Sudani, Abul Ameer Thuaiban, said that "
        "a direct conflict with Israel could prove disastrous."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker is not None and speaker.name == "Abul Ameer Thuaiban"
    assert how == "apposition"


def test_office_of_a_leader_speaks_for_the_leader(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“Our land is not the right place for rival forces to send messages,” the office of "
        "Prime Minister Mohammed Shia al-Sudani said in a statement Sunday."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.type) == ("Mohammed Shia al-Sudani", "person")


def test_pronoun_resolves_to_recent_subject(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Hadi al-Ameri, one of the leaders of the Framework Coalition, which backs Sudani, "
        "went further. “We do not believe in negotiations,” he said."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker is not None and speaker.name == "Hadi al-Ameri"
    assert speaker.affiliation == "Framework Coalition"
    assert how == "pronoun"


def test_description_resolves_to_person_just_introduced(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Ahmed Jabbar lost his shop in the strike. “We have nothing left,” said the 37-year-old."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker is not None and speaker.name == "Ahmed Jabbar"
    assert how == "description"


def test_statement_resolves_to_its_author(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“Our land is not a battlefield,” Iraqi Prime Minister Mohammed Shia al-Sudani said. "
        "“Violence only begets violence,” the statement warned."
    )
    names = [s.name for _, s, _ in attributed(doc) if s is not None]
    assert names == ["Mohammed Shia al-Sudani", "Mohammed Shia al-Sudani"]


def test_uncued_paragraph_continues_the_speaker(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“He was very angry,” al-Rahim said.\n\n“Then the US strike came on top of this.”"
    )
    result = attributed(doc)
    assert [s.name for _, s, _ in result if s] == ["al-Rahim", "al-Rahim"]
    assert result[1][2] == "flow"


def test_name_forms_cluster_to_the_fullest(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Prime Minister Mohammed Shia al-Sudani visited Basra on Monday. "
        "Sudani said that the government would protect foreign missions."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert speaker.name == "Mohammed Shia al-Sudani"
    assert "Sudani" in speaker.aliases


def test_unnamed_source_keeps_its_description(nlp_quotes: Language) -> None:
    doc = nlp_quotes("A senior official told reporters that the talks would resume next week.")
    ((_, speaker, _),) = attributed(doc)
    assert speaker == Speaker("A senior official", "unnamed")


def test_organisation_speaks_as_itself(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "In a statement, the Islamic Resistance in Iraq said that it targeted the port "
        "with several drones."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.type) == ("Islamic Resistance in Iraq", "organization")


def test_according_to_unnamed_sources(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "According to sources within these factions, two recent missions to Tehran "
        "have not succeeded."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker == Speaker("sources within these factions", "unnamed")
    assert how == "according_to"


def test_entity_ruler_makes_militias_organisations(nlp_quotes: Language) -> None:
    doc = nlp_quotes("Asaib Ahl al-Haq and Harakat al-Nujaba rejected the deal.")
    labels = {ent.text: ent.label_ for ent in doc.ents}
    assert labels["Asaib Ahl al-Haq"] == "ORG"
    assert labels["Harakat al-Nujaba"] == "ORG"


def test_name_helpers() -> None:
    assert strip_title("Iraqi Prime Minister Mohammed Shia al-Sudani") == "Mohammed Shia al-Sudani"
    assert name_key("Mohammed Shia Al-Sudani") == ("mohammed", "shia", "sudani")
    book = NameBook()
    book.add("Sudani", "person")
    book.add("Mohammed Shia al-Sudani", "person")
    book.add("al-Sudani", "person")
    speaker = book.speaker("Sudani", "person")
    assert speaker.name == "Mohammed Shia al-Sudani"
    assert speaker.aliases == ("Sudani", "al-Sudani")
