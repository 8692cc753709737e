"""Tests for the section 7 scorer, with hand-computed expected values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stancewire.eval.scorer import (
    METRIC_NAMES,
    affiliation_key,
    f_avg,
    match_article,
    names_match,
    normalize_name,
    rollup,
    score,
    score_files,
    score_labels,
    tokens,
)
from stancewire.eval.scorer import main as scorer_main

GOLD_PATH = Path(__file__).resolve().parents[2] / "eval" / "gold" / "seeds.jsonl"

GOLD10 = " ".join(f"a{i}" for i in range(10))


def words(prefix: str, n: int, start: int = 0) -> list[str]:
    return [f"{prefix}{i}" for i in range(start, start + n)]


def q(
    text: str,
    speaker: str | None = "Renad Mansour",
    *,
    kind: str = "direct",
    us: str = "none",
    mil: str = "none",
    sentiment: str = "neutral",
    aliases: list[str] | None = None,
    speaker_type: str = "person",
) -> dict[str, Any]:
    return {
        "text": text,
        "kind": kind,
        "speaker": speaker,
        "speaker_aliases": aliases or [],
        "speaker_type": speaker_type,
        "stance": {"us_presence": us, "militias": mil},
        "sentiment": sentiment,
    }


def art(quotes: list[dict[str, Any]], aid: str = "a") -> dict[str, Any]:
    return {"id": aid, "text": "", "quotes": quotes}


# --------------------------------------------------------------------------- tokens


def test_tokens_lowercase_letters_and_digits_unicode() -> None:
    assert tokens("Al-Sudani’s “blatant” aggression_2024, Ça va!") == [
        "al",
        "sudani",
        "s",
        "blatant",
        "aggression",
        "2024",
        "ça",
        "va",
    ]
    assert tokens(None) == []
    assert tokens("") == []


# --------------------------------------------------------------------------- thresholds


@pytest.mark.parametrize(
    ("pred_words", "matched"),
    [
        (words("a", 6) + words("b", 4), True),  # 6/10 gold, 6/10 pred
        (words("a", 5) + words("b", 5), False),  # 5/10 gold: below 60%
        (words("a", 7) + words("b", 3), True),  # 7/10 gold
        (words("a", 6) + words("b", 14), True),  # 6/20 pred = 30% exactly
        (words("a", 6) + words("b", 15), False),  # 6/21 pred < 30%
        (words("a", 10) + words("b", 23), True),  # 10/33 pred > 30%
        (words("a", 10) + words("b", 24), False),  # 10/34 pred < 30%
    ],
)
def test_match_thresholds(pred_words: list[str], matched: bool) -> None:
    gold = [q(GOLD10)]
    pred = [q(" ".join(pred_words))]
    pairs, dropped = match_article(gold, pred)
    assert dropped == []
    assert (len(pairs) == 1) is matched
    m = score([art(gold)], [art(pred)]).metrics
    assert m["n_matched"] == int(matched)
    assert m["quote_p"] == m["quote_r"] == m["quote_f1"] == float(matched)


def test_match_coverage_is_multiset() -> None:
    # Gold has "a0" three times: six "a0" in a prediction share only three of them.
    gold = [q("a0 a0 a0 a1 a2 a3 a4 a5 a6 a7")]
    assert match_article(gold, [q("a0 a0 a0 a0 a0 a0 a1 a2")])[0] == []  # 5/10 shared
    pairs, _ = match_article(gold, [q("a0 a0 a1 a2 a3 a4")])
    assert len(pairs) == 1
    gi, pi, ov, gcov, pcov = pairs[0]
    assert (gi, pi) == (0, 0)
    assert gcov == pytest.approx(0.6)
    assert pcov == pytest.approx(1.0)
    assert ov == pytest.approx(2 * 6 / 16)


def test_empty_quotes_match_nothing() -> None:
    assert match_article([q("")], [q("")])[0] == []
    assert match_article([q(GOLD10)], [q("...")])[0] == []


# --------------------------------------------------------------------------- assignment


def test_one_to_one_best_overlap_first() -> None:
    gold = [q(GOLD10)]
    partial = q(" ".join(words("a", 8)))  # gcov .8, pcov 1 -> F1 16/18
    exact = q(GOLD10)  # F1 1
    # The better prediction wins whatever the order; the other is spurious.
    for pred, winner in (([partial, exact], 1), ([exact, partial], 0)):
        pairs, _ = match_article(gold, pred)
        assert [(gi, pi) for gi, pi, *_ in pairs] == [(0, winner)]
        res = score([art(gold)], [art(pred)])
        m = res.metrics
        assert (m["n_gold"], m["n_pred"], m["n_matched"]) == (1, 2, 1)
        assert m["quote_p"] == 0.5
        assert m["quote_r"] == 1.0
        assert m["quote_f1"] == pytest.approx(2 / 3)
        statuses = sorted((r.status, r.pred_index) for r in res.matches)
        assert statuses == [("matched", winner), ("spurious", 1 - winner)]


def test_one_gold_each_when_two_golds_compete() -> None:
    # Pred 0 overlaps both golds; gold 1 is its best, so gold 0 takes pred 1.
    gold = [q("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9"), q("a0 a1 a2 a3 a4 a5 a6 a7 c0 c1")]
    pred = [q("a0 a1 a2 a3 a4 a5 a6 a7 c0 c1"), q("a0 a1 a2 a3 a4 a5 a6 a7 a8")]
    pairs, _ = match_article(gold, pred)
    assert sorted((gi, pi) for gi, pi, *_ in pairs) == [(0, 1), (1, 0)]


def test_equal_overlap_prefers_matching_speaker() -> None:
    text = "al-Sudani to take more action to prevent further attacks"
    gold = [q(text, "Lloyd Austin", kind="indirect"), q(text, "Antony Blinken", kind="indirect")]
    pred = [q(text, "Blinken", kind="indirect"), q(text, "Austin", kind="indirect")]
    pairs, _ = match_article(gold, pred)
    assert sorted((gi, pi) for gi, pi, *_ in pairs) == [(0, 1), (1, 0)]
    assert score([art(gold)], [art(pred)]).metrics["attribution_acc"] == 1.0


# --------------------------------------------------------------------------- repeats


def test_repeats_dropped_only_for_same_speaker() -> None:
    text = "Our land and sovereign authority is not the right place"
    gold = [q(text, "Mohammed Shia al-Sudani")]
    pred = [
        q(text, "Sudani"),
        q(text.upper() + "!", "al-Sudani"),  # same tokens, same normalised speaker: dropped
        q(text, "Renad Mansour"),  # same text, other speaker: kept (spurious)
    ]
    pairs, dropped = match_article(gold, pred)
    assert dropped == [1]
    assert [(gi, pi) for gi, pi, *_ in pairs] == [(0, 0)]
    res = score([art(gold)], [art(pred)])
    m = res.metrics
    assert (m["n_pred"], m["n_matched"], m["n_duplicates"]) == (2, 1, 1)
    assert m["quote_p"] == 0.5
    assert m["quote_r"] == 1.0
    assert m["attribution_acc"] == 1.0
    assert {r.pred_index: r.status for r in res.matches} == {
        0: "matched",
        1: "duplicate",
        2: "spurious",
    }


def test_repeats_without_speaker_are_dropped_too() -> None:
    pred = [q(GOLD10, None), q(GOLD10, None)]
    _, dropped = match_article([q(GOLD10)], pred)
    assert dropped == [1]


# --------------------------------------------------------------------------- names


def test_normalize_name() -> None:
    assert normalize_name("Prime Minister Mohammed Shia al-Sudani") == (
        "mohammed",
        "shia",
        "sudani",
    )
    assert normalize_name("Al-Sudani") == ("sudani",)
    assert normalize_name("Abu Mahdi al Muhandis") == ("abu", "mahdi", "muhandis")
    assert normalize_name("Gen. Qassem Soleimani") == ("qassem", "soleimani")
    assert normalize_name("Kataib Hezbollah spokesman Jaafar al-Husseini") == (
        "jaafar",
        "husseini",
    )
    assert normalize_name("Secretary of State Antony Blinken") == ("antony", "blinken")
    assert normalize_name("the United States") == ("united", "states")
    # A title with nothing after it is the name.
    assert normalize_name("a spokesman") == ("spokesman",)
    assert normalize_name(None) == ()


@pytest.mark.parametrize(
    ("pred", "gold", "aliases", "expected"),
    [
        ("Prime Minister Mohammed Shia al-Sudani", "Sudani", (), True),
        ("Sudani", "Mohammed Shia al-Sudani", (), True),
        ("al-Sudani", "Mohammed Shia al-Sudani", (), True),
        ("Iraqi Prime Minister Sudani", "Mohammed Shia al-Sudani", (), True),
        ("Gen. Qassem Soleimani", "Soleimani", (), True),
        ("Soleimani", "Gen. Qassem Soleimani", (), True),
        ("Mohammed", "Mohammed Shia al-Sudani", (), False),  # not a suffix
        ("Mohammed Shia al-Sudani", "Mohammed", (), False),
        ("President Biden", "Joe Biden", (), True),
        ("Dr. Renad Mansour", "Renad Mansour", ["Mansour"], True),
        ("Washington", "US", ["Washington"], True),  # alias only
        ("Washington", "US", [], False),
        ("Tehran", "Iran", [], False),
        ("Sheikh Qais al-Khazali", "Qais al-Khazali", [], True),
        ("Hadi al-Ameri", "Nuri al-Maliki", [], False),
        ("an expert", "an expert", [], True),
        (None, "Sudani", ["Sudani"], False),
        ("", "Sudani", ["Sudani"], False),
        ("  ", "Sudani", ["Sudani"], False),
    ],
)
def test_names_match(pred: str | None, gold: str, aliases: Any, expected: bool) -> None:
    assert names_match(pred, gold, aliases) is expected


# --------------------------------------------------------------------------- labels


def test_f_avg_with_absent_class_follows_sklearn_zero_division() -> None:
    # favor perfect, against absent on both sides -> F1(against) = 0 -> F_avg = 0.5.
    assert f_avg(["favor", "none", "none"], ["favor", "none", "none"]) == 0.5
    assert f_avg(["none"], ["none"]) == 0.0
    assert f_avg([], []) == 0.0
    assert f_avg(["favor", "against"], ["favor", "against"]) == 1.0


def test_score_labels_hand_computed() -> None:
    gold = [
        q("x", us="favor", mil="favor", sentiment="positive"),
        q("x", us="favor", mil="favor", sentiment="negative"),
        q("x", us="against", mil="none", sentiment="neutral"),
        q("x", us="none", mil="none", sentiment="neutral"),
    ]
    pred = [
        q("x", us="favor", mil="favor", sentiment="positive"),
        q("x", us="none", mil="favor", sentiment="negative"),
        q("x", us="against", mil="none", sentiment="negative"),
        q("x", us="against", mil="none", sentiment="neutral"),
    ]
    out = score_labels(gold, pred)
    # us: F1 favor = 2/3 (P 1, R 1/2); against = 2/3 (P 1/2, R 1); none = 0.
    assert out["us_presence_favg"] == pytest.approx(2 / 3)
    assert out["us_presence_macro3"] == pytest.approx(4 / 9)
    # militias: favor 1, none 1, against absent -> 0.
    assert out["militias_favg"] == pytest.approx(0.5)
    assert out["militias_macro3"] == pytest.approx(2 / 3)
    # sentiment: positive 1, negative 2/3, neutral 2/3.
    assert out["sentiment_macro"] == pytest.approx(7 / 9)
    assert out["n"] == 4


def test_score_labels_missing_labels_and_length_check() -> None:
    gold = [q("x", us="none", sentiment="neutral")]
    assert score_labels(gold, [{"text": "x"}])["sentiment_macro"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        score_labels(gold, [])


# --------------------------------------------------------------------------- speakers


def test_rollup() -> None:
    assert rollup(["favor", "none", "against"]) == "mixed"
    assert rollup(["favor", "none"]) == "favor"
    assert rollup(["none", "against"]) == "against"
    assert rollup(["none"]) == "none"
    assert rollup([]) == "none"


def test_speaker_stance_end_to_end_with_mixed() -> None:
    t1, t2, t3, t4 = (" ".join(words(p, 10)) for p in "abcd")
    gold = [
        q(t1, "Mohammed Shia al-Sudani", us="against", mil="against"),
        q(t2, "Mohammed Shia al-Sudani", us="favor"),
        q(t3, "Hadi al-Ameri", us="against"),
        q(t4, "Renad Mansour"),
    ]
    pred = [
        q(t1, "al-Sudani", us="against", mil="against"),
        q(t2, "Prime Minister Mohammed Shia al-Sudani", us="favor"),
        q(t4, "Mansour", mil="favor"),
        q(" ".join(words("e", 10)), "Nuri al-Maliki", us="favor"),
    ]
    m = score([art(gold)], [art(pred)]).metrics
    # (speaker, target): gold / pred
    #   Sudani us mixed/mixed, Sudani mil against/against,
    #   Ameri us against/missing, Ameri mil none/missing,
    #   Mansour us none/none, Mansour mil none/favor,
    #   Maliki us none/favor, Maliki mil none/none.
    # favor: no gold, 2 predicted -> F1 0; against: P 1, R 1/2 -> F1 2/3.
    assert m["speaker_stance_favg"] == pytest.approx(1 / 3)
    assert m["speaker_stance_acc"] == pytest.approx(4 / 8)
    assert (m["n_gold_speakers"], m["n_pred_speakers"], m["n_aligned_speakers"]) == (3, 4, 2)
    assert (m["n_gold"], m["n_pred"], m["n_matched"]) == (4, 4, 3)
    assert m["attribution_acc"] == 1.0
    assert m["quote_p"] == m["quote_r"] == 0.75


# --------------------------------------------------------------------------- breakdowns


def test_affiliation_agreement_on_matched_quotes() -> None:
    ta, tb, tc, td = (" ".join(words(p, 10)) for p in "abcd")
    gold = [
        q(ta) | {"affiliation": "US government"},
        q(tb) | {"affiliation": "Kataib Hezbollah"},
        q(tc),  # no affiliation
        q(td) | {"affiliation": "Chatham House"},  # missed: does not count
    ]
    pred = [
        q(ta) | {"affiliation": "U.S. Government"},  # same side, written differently
        q(tb) | {"affiliation": "Iraqi government"},
        q(tc) | {"affiliation": None},
    ]
    m = score([art(gold)], [art(pred)]).metrics
    assert m["n_matched"] == 3
    assert m["affiliation_acc"] == pytest.approx(2 / 3)
    assert affiliation_key("the US Senate") == affiliation_key("U.S. Senate") == "us senate"


def test_kind_and_speaker_type_breakdowns_and_unresolved() -> None:
    ta, tb, tc, td = (" ".join(words(p, 10)) for p in "abcd")
    gold = [
        q(ta, "Renad Mansour", kind="direct"),
        q(tb, "Kataib Hezbollah", kind="indirect", speaker_type="organization"),
        q(tc, "an expert", kind="direct", speaker_type="unnamed"),
    ]
    pred = [
        q(ta, "Mansour", kind="indirect"),  # matched, speaker ok, kind wrong
        q(tb, None, kind="indirect"),  # matched, unresolved
        q(td, "Someone", kind="direct"),  # spurious
    ]
    m = score([art(gold)], [art(pred)]).metrics
    assert (m["n_gold"], m["n_pred"], m["n_matched"]) == (3, 3, 2)
    assert m["recall_direct"] == m["direct_r"] == 0.5
    assert m["direct_p"] == 0.0
    assert m["direct_f1"] == 0.0
    assert m["recall_indirect"] == m["indirect_r"] == 1.0
    assert m["indirect_p"] == 1.0
    assert m["indirect_f1"] == 1.0
    assert (m["direct_n"], m["indirect_n"]) == (2, 1)
    assert m["kind_acc"] == 0.5
    assert m["attribution_acc"] == 0.5
    assert m["unresolved_rate"] == pytest.approx(1 / 3)
    assert (m["person_r"], m["person_attr"], m["person_n"]) == (1.0, 1.0, 1)
    assert (m["organization_r"], m["organization_attr"]) == (1.0, 0.0)
    assert (m["unnamed_r"], m["unnamed_attr"], m["unnamed_n"]) == (0.0, 0.0, 1)


def test_articles_paired_by_id() -> None:
    gold = [art([q(GOLD10)], "x"), art([q(GOLD10), q(" ".join(words("b", 5)))], "y")]
    pred = [art([q(GOLD10)], "y"), art([q(GOLD10)], "z")]  # "x" missing, "z" unknown
    res = score(gold, pred)
    m = res.metrics
    assert (m["n_articles"], m["n_gold"], m["n_pred"], m["n_matched"]) == (2, 3, 1, 1)
    assert m["quote_r"] == pytest.approx(1 / 3)
    assert m["quote_p"] == 1.0
    assert [(r.article_id, r.status) for r in res.matches] == [
        ("x", "missed"),
        ("y", "matched"),
        ("y", "missed"),
    ]


def test_duplicate_ids_rejected() -> None:
    with pytest.raises(ValueError):
        score([art([], "x"), art([], "x")], [])


def test_empty_input_is_all_zero() -> None:
    m = score([], []).metrics
    assert all(m[k] == 0.0 for k in METRIC_NAMES)


def test_accepts_pydantic_like_objects() -> None:
    class Model:
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def model_dump(self) -> dict[str, Any]:
            return self.data

    gold = [art([q(GOLD10)])]
    m = score([Model(gold[0])], [Model(gold[0])]).metrics
    assert m["quote_f1"] == 1.0


# --------------------------------------------------------------------------- perfect


def _seeds() -> list[dict[str, Any]]:
    with open(GOLD_PATH, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_gold_against_itself_is_perfect() -> None:
    gold = _seeds()
    res = score(gold, gold)
    m = res.metrics
    assert list(m)[: len(METRIC_NAMES)] == list(METRIC_NAMES)
    for name in METRIC_NAMES:
        expected = 0.0 if name == "unresolved_rate" else 1.0
        assert m[name] == pytest.approx(expected), name
    for name in ("direct", "indirect"):
        assert m[f"{name}_p"] == m[f"{name}_r"] == m[f"{name}_f1"] == 1.0
    for stype in ("person", "organization", "unnamed"):
        assert m[f"{stype}_r"] == m[f"{stype}_attr"] == 1.0
        assert m[f"{stype}_n"] > 0
    n = sum(len(a["quotes"]) for a in gold)
    assert m["n_gold"] == m["n_pred"] == m["n_matched"] == n
    assert m["n_duplicates"] == 0
    assert m["kind_acc"] == m["speaker_stance_acc"] == 1.0
    assert all(r.status == "matched" and r.gold_index == r.pred_index for r in res.matches)


def test_score_files_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = _seeds()
    pred = [dict(a, quotes=a["quotes"][:1]) for a in gold]
    pred_path = tmp_path / "pred.jsonl"
    pred_path.write_text("".join(json.dumps(a) + "\n" for a in pred), encoding="utf-8")
    res = score_files(GOLD_PATH, pred_path)
    assert res.metrics["quote_p"] == 1.0
    assert res.metrics["n_matched"] == len(gold)

    assert scorer_main([str(GOLD_PATH), str(pred_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == pytest.approx(res.metrics)
    assert scorer_main([str(GOLD_PATH), str(pred_path)]) == 0
    assert "quote_f1" in capsys.readouterr().out
