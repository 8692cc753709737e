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
from stancewire.models.components.speakers import NameBook, name_key, side_of, strip_title
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


def test_apposition_spokeswoman_for_a_group(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“We cannot wait another summer,” said Rana Yousif, a spokeswoman for the Union of "
        "Iraqi Farmers."
    )
    ((text, speaker, _),) = attributed(doc)
    assert text == "We cannot wait another summer"
    assert speaker is not None
    assert (speaker.name, speaker.type, speaker.affiliation) == (
        "Rana Yousif",
        "person",
        "Union of Iraqi Farmers",
    )


def test_passive_agent_is_the_speaker(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The strike was described by the health ministry as “a crime against civilians”."
    )
    ((text, speaker, _),) = attributed(doc)
    assert text == "a crime against civilians"
    assert speaker == Speaker("health ministry", "organization", (), "health ministry")


def test_which_said_goes_to_the_noun_it_stands_for(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The closure was announced by the Interior Ministry, which said that the crossing "
        "would stay shut for a week."
    )
    ((text, speaker, _),) = attributed(doc)
    assert text == "the crossing would stay shut for a week"
    assert speaker is not None and (speaker.name, speaker.type) == (
        "Interior Ministry",
        "organization",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Rana Yousif visited the dam on Monday. She said the reservoir was at its lowest "
            "level in 40 years.",
            ("Rana Yousif", "person"),
        ),
        (
            "Local fishermen met the governor on Friday. They said the river had become too "
            "shallow for their boats.",
            ("Local fishermen", "unnamed"),
        ),
        (
            "The farmers' cooperative held a meeting on Sunday. It said that water quotas "
            "would be cut by half.",
            ("farmers' cooperative", "organization"),
        ),
        (
            "Asaib Ahl al-Haq released a video on Saturday. The group said its fighters had "
            "left the city.",
            ("Asaib Ahl al-Haq", "organization"),
        ),
        (
            "Iraq's water ministry announced new quotas on Monday. The ministry said the cuts "
            "would last until October.",
            ("Iraq's water ministry", "organization"),
        ),
    ],
)
def test_pronouns_and_definite_descriptions(
    nlp_quotes: Language, text: str, expected: tuple[str, str]
) -> None:
    ((_, speaker, how),) = attributed(nlp_quotes(text))
    assert speaker is not None
    assert (speaker.name, speaker.type) == expected
    assert how in ("pronoun", "description")


@pytest.mark.parametrize(
    ("text", "name", "affiliation"),
    [
        (
            "Kuwait's government said on Monday that the border crossing would reopen.",
            "Kuwait's government",
            "Kuwaiti government",
        ),
        (
            "The Iraqi army on Sunday said its units had cleared the last villages near the lake.",
            "Iraqi army",
            "Iraqi army",
        ),
    ],
)
def test_a_national_body_speaks_as_itself(
    nlp_quotes: Language, text: str, name: str, affiliation: str
) -> None:
    ((_, speaker, _),) = attributed(nlp_quotes(text))
    assert speaker == Speaker(name, "organization", (), affiliation)


def test_a_named_body_is_not_an_anaphor_for_another(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Turkey's defence ministry announced new patrols. The Iraqi military later said "
        "the patrols had not been agreed."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None and speaker.name == "Iraqi military"


def test_spokesperson_speaks_for_the_country_in_the_clause(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Trade ministry spokeswoman Huda Salman said Iraq welcomed “any offer that lowers "
        "prices for families”."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None and speaker.name == "Huda Salman"


def test_office_statement_pronoun_is_its_leader(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Governor Majid Hamoud's office said he had instructed the police to “protect every "
        "protester” and that the curfew was lifted."
    )
    result = attributed(doc)
    assert [(text, s.name if s else None) for text, s, _ in result] == [
        ("protect every protester", "Majid Hamoud"),
        ("the curfew was lifted", "Majid Hamoud"),
    ]


def test_lede_description_named_in_the_next_paragraph(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Power cuts to ease by June, grid chief says\n\n"
        "The head of the national grid company said on Monday that supplies would improve "
        "by June.\n\n"
        "Adel Fattah Jassim, who has run the company since 2021, told reporters that two new "
        "plants would open."
    )
    names = [s.name for _, s, _ in attributed(doc) if s is not None]
    assert names == ["Adel Fattah Jassim", "Adel Fattah Jassim"]


def test_according_to_an_agency_tally(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "At least 40 people have been injured in the protests, according to a Reuters tally."
    )
    ((text, speaker, how),) = attributed(doc)
    assert text == "At least 40 people have been injured in the protests"
    assert speaker is not None and (speaker.name, speaker.type) == ("Reuters", "organization")
    assert how == "according_to"


def test_dateline_gives_untitled_government_titles_their_country(
    nlp_quotes: Language,
) -> None:
    doc = nlp_quotes(
        "BAGHDAD, May 3 (Reuters) - Prime Minister Tariq Nouri said the vote had been fair."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker == Speaker("Tariq Nouri", "person", (), "Iraqi government")


def test_role_before_the_name_gives_the_affiliation(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Jordan's foreign minister, Samir Haddad, said the border would stay open to trucks."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.affiliation) == ("Samir Haddad", "Jordanian government")


def test_surname_tagged_as_organisation_joins_the_person(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Deputy speaker Shakhawan Abdullah Ahmed opened the session on Tuesday.\n\n"
        "“The budget cannot wait,” Ahmed said."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None
    assert (speaker.name, speaker.type) == ("Shakhawan Abdullah Ahmed", "person")
    assert speaker.aliases == ("Ahmed",)


def test_role_apposition_name_tagged_as_organisation(nlp_quotes: Language) -> None:
    # the tagger reads some Turkish and Kurdish names as ORG; after a role and a
    # comma it is still the person speaking
    doc = nlp_quotes(
        "A ministry spokesman, Levent Cakir, said pipeline repairs had been completed in December."
    )
    ((_, speaker, how),) = attributed(doc)
    assert speaker is not None and (speaker.name, speaker.type) == ("Levent Cakir", "person")
    assert how == "apposition"


def test_definite_description_prefers_the_same_noun(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "According to a farmers' group in Hilla, the harvest fell by a third. Kataib Hezbollah "
        "denied any role in the fires.\n\n"
        "The group said in a statement that it had asked the government for compensation."
    )
    result = attributed(doc)
    assert (result[0][0], result[0][1]) == (
        "the harvest fell by a third",
        Speaker("a farmers' group in Hilla", "unnamed"),
    )
    text, speaker, how = result[-1]
    assert text == "it had asked the government for compensation"
    assert speaker == Speaker("a farmers' group in Hilla", "unnamed")
    assert how == "description"


def test_a_ministry_is_not_the_city_named_before_it(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The transport ministry agreed on Tuesday to pay the back wages. Officials in "
        "Baghdad welcomed the deal.\n\n"
        "The ministry later said in a statement that it would review the port contracts."
    )
    ((_, speaker, _),) = attributed(doc)
    assert speaker is not None and (speaker.name, speaker.type) == (
        "transport ministry",
        "organization",
    )


def test_they_prefers_the_main_clause_subject(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Protest organisers said they would march again once the committee reported. "
        "They urged the United Nations to send investigators."
    )
    result = attributed(doc)
    assert [(text, s.name if s else None) for text, s, _ in result] == [
        ("they would march again once the committee reported", "Protest organisers"),
        ("the United Nations to send investigators", "Protest organisers"),
    ]


@pytest.mark.parametrize(
    ("text", "name", "affiliation"),
    [
        # a bare department says nothing of whose: the title words decide
        (
            "Defense Secretary Lloyd Austin said the strikes were meant to deter attacks.",
            "Lloyd Austin",
            "US government",
        ),
        (
            "U.S. Secretary of State Antony Blinken said the attacks must stop.",
            "Antony Blinken",
            "US government",
        ),
        # military titles make the side the nation's military
        (
            "U.S. military spokesman Dean Porter said the base had been hit by two rockets.",
            "Dean Porter",
            "US military",
        ),
        (
            "American commander Gen. Dean Porter said the base had been hit.",
            "Dean Porter",
            "US military",
        ),
        # only the US Congress has senators in this news
        ("Senator Tom Hadley said Iran must pay a price.", "Tom Hadley", "US Senate"),
        (
            "Ahmed Kareem, president of the Kurdistan Region, said the coalition must stay.",
            "Ahmed Kareem",
            "Kurdistan Regional Government",
        ),
        # a prominent figure with no side in the article's words: the known one
        (
            "Prime Minister Mohammed Shia al-Sudani said the government would set a timetable.",
            "Mohammed Shia al-Sudani",
            "Iraqi government",
        ),
        (
            "Hadi al-Amiri, head of the Badr Organization, said foreign forces must leave.",
            "Hadi al-Amiri",
            "Badr Organization",
        ),
        # ... but what the article says wins over the list
        (
            "Hadi al-Ameri, leader of the Fatah Alliance, said foreign forces must leave.",
            "Hadi al-Ameri",
            "Fatah Alliance",
        ),
    ],
)
def test_a_persons_side_is_written_the_way_the_stance_model_reads_it(
    nlp_quotes: Language, text: str, name: str, affiliation: str
) -> None:
    ((_, speaker, _),) = attributed(nlp_quotes(text))
    assert speaker is not None
    assert (speaker.name, speaker.affiliation) == (name, affiliation)


@pytest.mark.parametrize(
    ("given", "side"),
    [
        ("U.S.", "US government"),
        ("Iraq", "Iraqi government"),
        ("Defense", None),
        ("Kataib Hezbollah", "Kataib Hezbollah"),
        (None, None),
    ],
)
def test_side_of(given: str | None, side: str | None) -> None:
    assert side_of(given) == side


@pytest.mark.parametrize(
    ("text", "name", "affiliation"),
    [
        (
            "Iraqi military officials said the strikes hit a depot.",
            "Iraqi military officials",
            "Iraqi military",
        ),
        (
            "Two Iraqi officials briefed on the talks said the plan had stalled.",
            "Two Iraqi officials briefed on the talks",
            "Iraqi government",
        ),
        (
            "U.S. and Iraqi officials said the strikes killed eight fighters.",
            "U.S. and Iraqi officials",
            "US and Iraqi governments",
        ),
        (
            "Two Iraqi security sources said the convoy was hit.",
            "Two Iraqi security sources",
            "Iraqi security forces",
        ),
        (
            "Iran-backed factions said they would respond.",
            "Iran-backed factions",
            "Iran-backed militias",
        ),
        (
            "Kurdish officials said the drone hit Erbil.",
            "Kurdish officials",
            "Kurdistan Regional Government",
        ),
        # a place the source is in, or a source that speaks for no side, gives none
        ("Diplomats in Baghdad said the talks were tense.", "Diplomats in Baghdad", None),
        (
            "Sunni politicians in Nineveh province said the army must stay.",
            "Sunni politicians in Nineveh province",
            None,
        ),
        ("Iraqi residents said the strikes terrified them.", "Iraqi residents", None),
    ],
)
def test_an_unnamed_sources_side_comes_from_its_own_words(
    nlp_quotes: Language, text: str, name: str, affiliation: str | None
) -> None:
    ((_, speaker, _),) = attributed(nlp_quotes(text))
    assert speaker is not None and speaker.type == "unnamed"
    assert (speaker.name, speaker.affiliation) == (name, affiliation)


def test_known_people_match_any_spelling_of_the_article() -> None:
    from stancewire.models.components.entities import known_side

    assert known_side("Qais al-Khazali") == known_side("Qais Al-Khazali") == "Asaib Ahl al-Haq"
    assert known_side("qais al khazali") == "Asaib Ahl al-Haq"
    assert known_side("Qais Ahmed") is None
