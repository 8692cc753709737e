"""The oracle's classifier input: each gold quote with the sentence it stands in."""

from __future__ import annotations

from stancewire.eval.oracle import oracle_items, sentence_context


def test_context_is_the_sentence_around_the_quote_in_plain_text() -> None:
    text = (
        "Rockets hit the base on Monday. The minister said the attack was "
        "a crime against Iraq. Officials met later."
    )
    assert sentence_context(text, "the attack was a crime against Iraq") == (
        "The minister said the attack was a crime against Iraq."
    )


def test_html_paragraph_tags_end_the_context_and_are_not_part_of_it() -> None:
    # Gold text is the article as given; some articles are raw HTML whose
    # paragraphs are only tags apart, with no sentence-final space between them.
    text = (
        "<p>Rockets hit the base on Monday.</p><p>“The troops must leave now,” "
        "the spokesman said</p>.<p>Officials met later.</p>"
    )
    context = sentence_context(text, "The troops must leave now")
    assert context == "“The troops must leave now,” the spokesman said"
    assert "<" not in context and "Officials" not in context and "Rockets" not in context


def test_a_quote_across_paragraph_tags_keeps_both_parts_without_tags() -> None:
    text = "<p>Intro here.</p><p>“We will stay</p><p>as long as needed,” he said.</p>"
    context = sentence_context(text, "We will stay</p><p>as long as needed")
    assert context == "“We will stay as long as needed,” he said."


def test_article_gold_gives_each_quote_its_sentence_as_context() -> None:
    row = {
        "id": "a1",
        "text": "<p>Intro.</p><p>The envoy said talks would resume soon.</p>",
        "quotes": [
            {
                "text": "talks would resume soon",
                "stance": {"us_presence": "none", "militias": "none"},
                "sentiment": "neutral",
                "speaker": "the envoy",
            }
        ],
    }
    (item,) = oracle_items([row])
    assert item.unit == "a1"
    assert item.input.context == "The envoy said talks would resume soon."


def test_html_entities_are_read_as_the_pipeline_reads_them() -> None:
    # The gold quote is a span of the raw article, entities and all; the
    # classifier must see the characters the cleaned article has.
    text = (
        "<html><body><p>Intro.</p><p>&ldquo;Iraq&#8217;s sovereignty is not for sale,"
        "&rdquo; the minister said.</p></body></html>"
    )
    row = {
        "id": "h1",
        "text": text,
        "quotes": [
            {
                "text": "Iraq&#8217;s sovereignty is not for sale",
                "stance": {"us_presence": "none", "militias": "none"},
                "sentiment": "neutral",
            }
        ],
    }
    (item,) = oracle_items([row])
    assert item.input.text == "Iraq’s sovereignty is not for sale"
    assert item.input.context == "“Iraq’s sovereignty is not for sale,” the minister said."


def test_oracle_inputs_carry_the_gold_speaker_in_both_gold_shapes() -> None:
    article = {
        "id": "a1",
        "text": "Qais al-Khazali said the occupiers must leave.",
        "quotes": [
            {
                "text": "the occupiers must leave",
                "stance": {"us_presence": "against", "militias": "none"},
                "sentiment": "negative",
                "speaker": "Qais al-Khazali",
                "affiliation": "Asaib Ahl al-Haq",
            }
        ],
    }
    quote_row = {
        "id": "r1",
        "quote": "We are watching closely",
        "context": "A Kataib Hezbollah official spoke.",
        "speaker": "Abu Ali al-Askari",
        "affiliation": "Kataib Hezbollah",
        "stance": {"us_presence": "against", "militias": "favor"},
        "sentiment": "negative",
    }
    no_speaker = {k: v for k, v in quote_row.items() if k not in ("speaker", "affiliation")}
    items = oracle_items([article, quote_row, no_speaker | {"id": "r2"}])
    assert [it.input.speaker for it in items] == [
        "Qais al-Khazali (Asaib Ahl al-Haq)",
        "Abu Ali al-Askari (Kataib Hezbollah)",
        None,
    ]
