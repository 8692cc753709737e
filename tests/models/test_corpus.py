"""The corpus view (``stancewire report``): merging speakers across articles, counts, files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stancewire.api.cli import app
from stancewire.models.batch.corpus import build_corpus, read_results, render_corpus_html
from stancewire.models.errors import InputError
from stancewire.models.rollup import roll_up
from stancewire.models.schema import LabelledArticle, Quote

TARGETS = ["us_presence", "militias"]
runner = CliRunner()


def q(speaker: str | None, us: str, mil: str, **kw) -> Quote:
    return Quote(
        text=f"{speaker} on {us}/{mil}",
        kind="direct",
        speaker=speaker,
        speaker_type=kw.pop("speaker_type", "person"),
        stance={"us_presence": us, "militias": mil},
        **kw,
    )


def article(id_: str, *quotes: Quote) -> LabelledArticle:
    return LabelledArticle(
        id=id_, text="...", quotes=list(quotes), speakers=roll_up(quotes, TARGETS)
    )


def corpus() -> list[LabelledArticle]:
    return [
        article(
            "a1",
            q(
                "Mohammed Shia al-Sudani",
                "against",
                "none",
                speaker_aliases=["al-Sudani"],
                affiliation="Iraqi government",
            ),
            q("Mohammed Shia al-Sudani", "against", "against", affiliation="Iraqi government"),
            q("U.S.", "favor", "against", speaker_type="organization"),
            q("an official", "none", "against", speaker_type="unnamed"),
            q("Ali Hussein", "none", "favor", affiliation="Fatah Alliance"),
        ),
        article(
            "a2",
            q("Sudani", "favor", "none"),
            q("Fuad Hussein", "none", "against", affiliation="Iraqi government"),
            q("Hussein", "against", "none"),  # two Husseins in the corpus: not merged
            q(None, "against", "against"),  # no speaker: not in any roll-up
        ),
        article(
            "a3",
            q("US", "favor", "none", speaker_type="organization", affiliation="US government"),
            q("an official", "favor", "none", speaker_type="unnamed"),
            q("Ali Hussein", "none", "favor", affiliation="Sadrist movement"),
            q("Ali Hussein", "none", "favor", affiliation="Fatah Alliance"),
        ),
    ]


def test_speakers_merge_across_articles_with_counts() -> None:
    view = build_corpus(corpus())
    assert view.targets == TARGETS and view.n_articles == 3 and view.n_quotes == 13
    by_name = {s.name: s for s in view.speakers}
    assert set(by_name) == {
        "Mohammed Shia al-Sudani",
        "U.S.",
        "Ali Hussein",
        "Fuad Hussein",
        "Hussein",
    }
    sudani = by_name["Mohammed Shia al-Sudani"]
    assert (sudani.n_articles, sudani.n_quotes) == (2, 3)
    assert sudani.aliases == ["Sudani", "al-Sudani"]
    assert sudani.affiliation == "Iraqi government" and sudani.speaker_type == "person"
    assert sudani.stance == {"us_presence": "mixed", "militias": "against"}
    assert sudani.counts["us_presence"] == {"favor": 1, "against": 2, "none": 0}
    assert sudani.counts["militias"] == {"favor": 0, "against": 1, "none": 2}
    assert sudani.articles == ["a1", "a2"]
    us = by_name["U.S."]  # "U.S." and "US" are one speaker
    assert (us.n_articles, us.n_quotes, us.aliases) == (2, 2, ["US"])
    assert us.stance == {"us_presence": "favor", "militias": "against"}
    ali = by_name["Ali Hussein"]
    assert (ali.n_articles, ali.n_quotes) == (2, 3)
    assert ali.affiliation == "Fatah Alliance"  # most frequent (here a tie: the first seen)
    assert by_name["Hussein"].n_quotes == 1
    # most quoted first
    assert [s.name for s in view.speakers[:2]] == ["Ali Hussein", "Mohammed Shia al-Sudani"]


def test_unnamed_sources_only_on_request_and_min_quotes() -> None:
    view = build_corpus(corpus(), include_unnamed=True)
    official = next(s for s in view.speakers if s.name == "an official")
    assert (official.n_articles, official.n_quotes, official.speaker_type) == (2, 2, "unnamed")
    assert official.stance == {"us_presence": "favor", "militias": "against"}
    assert [s.name for s in build_corpus(corpus(), min_quotes=3).speakers] == [
        "Ali Hussein",
        "Mohammed Shia al-Sudani",
    ]


def test_html_is_self_contained_and_sortable() -> None:
    page = render_corpus_html(build_corpus(corpus(), source="out.jsonl"))
    assert page.count("<tr>") == 1 + 5  # header + speakers
    assert "<script>" in page and 'addEventListener("click"' in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "Mohammed Shia al-Sudani" in page and "out.jsonl" in page


def test_report_command_writes_csv_and_html(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    out.write_text("".join(a.model_dump_json() + "\n" for a in corpus()), "utf-8")
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 speaker(s) in 3 article(s)" in result.output
    with (tmp_path / "run.speakers.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["speaker"]: r for r in csv.DictReader(fh)}
    sudani = rows["Mohammed Shia al-Sudani"]
    assert (sudani["n_articles"], sudani["n_quotes"]) == ("2", "3")
    assert (sudani["us_presence"], sudani["us_presence_favor"], sudani["us_presence_against"]) == (
        "mixed",
        "1",
        "2",
    )
    assert sudani["aliases"] == "Sudani; al-Sudani" and sudani["example_articles"] == "a1; a2"
    assert (tmp_path / "run.speakers.html").read_text("utf-8").count("<tr>") == 6

    html = tmp_path / "custom" / "v.html"
    result = runner.invoke(
        app,
        ["report", str(out), "--csv", str(tmp_path / "v.csv"), "--html", str(html)]
        + ["--include-unnamed", "--top", "0"],
    )
    assert result.exit_code == 0, result.output
    assert html.exists() and "an official" in (tmp_path / "v.csv").read_text("utf-8")


def test_report_reads_a_csv_or_parquet_output_through_its_journal(tmp_path: Path) -> None:
    journal = tmp_path / "run.journal.jsonl"
    text = "".join(a.model_dump_json() + "\n" for a in corpus())
    journal.write_text(text + '{"id": "partial", "te', "utf-8")  # a run still writing
    assert [a.id for a in read_results(tmp_path / "run.parquet")] == ["a1", "a2", "a3"]
    result = runner.invoke(app, ["report", str(tmp_path / "run.csv"), "--top", "0"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run.speakers.csv").exists()


def test_report_rejects_what_is_not_a_label_output(tmp_path: Path) -> None:
    bad = tmp_path / "errors.jsonl"
    bad.write_text('{"id": "x", "code": "SW100", "message": "m"}\n', "utf-8")
    with pytest.raises(InputError, match="line 1 is not a labelled article"):
        list(read_results(bad))
    with pytest.raises(InputError, match="results not found"):
        list(read_results(tmp_path / "missing.jsonl"))
