from __future__ import annotations

from pathlib import Path

import pytest

from stancewire.models.backends import load_backend
from stancewire.models.classifier import ClassifyInput, QuoteClassifier, speaker_text
from stancewire.models.errors import ConfigError, EmptyArticleError
from stancewire.models.pipeline import StancePipeline, load_pipeline
from stancewire.models.schema import Article, ArticleError, LabelledArticle
from tests.models.test_backends_nli import NLI_3WAY, save_tiny_nli, write_targets

TEXT = (
    "Iraq's parliament met on Sunday.\n\n"
    '"Foreign forces must leave our country," said Hadi al-Ameri, the head of the Badr '
    "Organization. He added that the government had been too slow.\n\n"
    "Defense Secretary John Carter told reporters that US troops would stay to fight ISIS."
)


@pytest.fixture(scope="module")
def tiny_pipeline(nlp, tiny_model_dir: Path) -> StancePipeline:
    return StancePipeline(nlp, QuoteClassifier.load(tiny_model_dir), max_chars=5_000, batch_size=4)


def test_pipeline_labels_quotes_speakers_and_offsets(tiny_pipeline: StancePipeline) -> None:
    result = tiny_pipeline.label(Article(id="a1", text=TEXT))
    got = [(q.kind, q.text, q.speaker) for q in result.quotes]
    assert got == [
        ("direct", "Foreign forces must leave our country", "Hadi al-Ameri"),
        ("indirect", "the government had been too slow", "Hadi al-Ameri"),
        ("indirect", "US troops would stay to fight ISIS", "John Carter"),
    ]
    for q in result.quotes:
        assert TEXT[q.start : q.end] == q.text
        assert set(q.stance) == {"us_presence", "militias"}
        assert set(q.confidence) == {"us_presence", "militias", "sentiment"}
        assert all(0.0 <= v <= 1.0 for v in q.confidence.values())
    assert [s.speaker for s in result.speakers] == ["Hadi al-Ameri", "John Carter"]
    assert result.speakers[0].quotes == [0, 1]


def test_pipeline_html_offsets_point_into_the_html(tiny_pipeline: StancePipeline) -> None:
    html = (
        "<html><body><nav>Home | World</nav><p>Tensions rose on Monday.</p>"
        "<p>&ldquo;We will not accept this aggression,&rdquo; said Ali Hassan, a spokesman "
        "for Kataib Hezbollah.</p></body></html>"
    )
    result = tiny_pipeline.label(Article(id="h", text=html))
    (quote,) = result.quotes
    assert quote.text == "We will not accept this aggression"
    assert quote.speaker == "Ali Hassan"
    assert html[quote.start : quote.end] == "We will not accept this aggression"


def test_pipeline_bad_articles_become_errors_and_the_batch_goes_on(
    tiny_pipeline: StancePipeline,
) -> None:
    articles = [
        Article(id="ok1", text=TEXT),
        Article(id="empty", text="   \n\n "),
        Article(id="huge", text="word " * 2_000),
        Article(id="ok2", text='"We are ready," the minister said.'),
    ]
    results = list(tiny_pipeline.pipe(articles))
    assert [r.id for r in results] == ["ok1", "empty", "huge", "ok2"]
    assert [type(r).__name__ for r in results] == [
        "LabelledArticle",
        "ArticleError",
        "ArticleError",
        "LabelledArticle",
    ]
    assert results[1].code == "SW101"
    assert results[2].code == "SW102" and "5000" in results[2].message


def test_pipeline_batches_all_quotes_of_a_batch_in_one_model_call(
    tiny_pipeline: StancePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    original = tiny_pipeline.classifier.predict

    def counting(items, **kwargs):
        calls.append(len(items))
        return original(items, **kwargs)

    monkeypatch.setattr(tiny_pipeline.classifier, "predict", counting)
    results = list(tiny_pipeline.pipe([Article(id=str(i), text=TEXT) for i in range(4)]))
    assert all(isinstance(r, LabelledArticle) for r in results)
    assert calls == [12]


def test_pipeline_internal_failure_is_isolated(
    tiny_pipeline: StancePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tiny_pipeline._analyse

    def flaky(prepared):
        if any("POISON" in p.clean.text for p in prepared):
            raise RuntimeError("boom")
        return original(prepared)

    monkeypatch.setattr(tiny_pipeline, "_analyse", flaky)
    results = list(
        tiny_pipeline.pipe([Article(id="a", text=TEXT), Article(id="b", text="POISON text.")])
    )
    assert isinstance(results[0], LabelledArticle) and len(results[0].quotes) == 3
    assert isinstance(results[1], ArticleError) and results[1].code == "SW500"


def test_pipeline_targets_subset_and_unknown(tiny_pipeline: StancePipeline) -> None:
    result = tiny_pipeline.label(Article(id="a", text=TEXT), targets=["militias"])
    assert all(set(q.stance) == {"militias"} for q in result.quotes)
    assert all(set(s.stance) == {"militias"} for s in result.speakers)
    with pytest.raises(ConfigError, match="unknown target"):
        tiny_pipeline.label(Article(id="a", text=TEXT), targets=["iran"])


def test_pipeline_label_raises_for_a_single_bad_article(tiny_pipeline: StancePipeline) -> None:
    with pytest.raises(EmptyArticleError):
        tiny_pipeline.label("  ")


# --------------------------------------------------------------------------- backends


@pytest.fixture(scope="module")
def tiny_nli_dir(tmp_path_factory: pytest.TempPathFactory, tiny_encoder_dir: Path) -> Path:
    return save_tiny_nli(tmp_path_factory.mktemp("nli"), tiny_encoder_dir, NLI_3WAY, [1, 0, -1])


def test_pipeline_on_the_nli_backend_labels_a_target_from_a_config_file(
    nlp, tiny_nli_dir: Path, tmp_path: Path
) -> None:
    backend = load_backend(
        "nli", model=str(tiny_nli_dir), targets=write_targets(tmp_path / "t.json")
    )
    pipeline = StancePipeline(nlp, backend)
    result = pipeline.label(Article(id="a1", text=TEXT))
    assert len(result.quotes) == 3
    for q in result.quotes:
        # the constant model entails every hypothesis: favor, positive
        assert q.stance == {"bananas": "favor"} and q.sentiment == "positive"
        assert set(q.confidence) == {"bananas", "sentiment"}
    assert [set(s.stance) for s in result.speakers] == [{"bananas"}, {"bananas"}]
    assert pipeline.targets == ["bananas"]
    assert result.model == pipeline.model_name == f"nli:{tiny_nli_dir}"
    assert pipeline.model_info().backend == "nli"


def test_pipeline_model_info_for_the_finetuned_backend(tiny_pipeline: StancePipeline) -> None:
    info = tiny_pipeline.model_info()
    assert info.backend == "finetuned"
    assert tiny_pipeline.model_name == f"stancewire-{tiny_pipeline.classifier.config.version}"


def test_finetuned_pipeline_points_to_zero_shot_backends_for_new_targets(
    tiny_pipeline: StancePipeline,
) -> None:
    with pytest.raises(ConfigError, match="--backend nli or embedding"):
        tiny_pipeline.label(Article(id="a", text=TEXT), targets=["bananas"])


def test_load_pipeline_chooses_the_backend(
    tiny_model_dir: Path, tiny_encoder_dir: Path, tiny_nli_dir: Path, tmp_path: Path
) -> None:
    only_militias = write_targets(
        tmp_path / "m.json", {"targets": [{"name": "militias", "description": "The factions."}]}
    )
    pipeline = load_pipeline(tiny_model_dir, targets_file=only_militias)
    assert isinstance(pipeline.classifier, QuoteClassifier)
    assert pipeline.classifier.config.version  # the finetuned route keeps its config
    assert pipeline.targets == ["militias"]
    result = pipeline.label(Article(id="a", text=TEXT))
    assert all(set(q.stance) == {"militias"} for q in result.quotes)
    embedding = load_pipeline(backend="embedding", embedding_model=str(tiny_encoder_dir))
    assert embedding.model_name == f"embedding:{tiny_encoder_dir}"
    assert embedding.targets == ["us_presence", "militias"]
    with pytest.raises(ConfigError, match="needs a model"):
        load_pipeline(backend="nli")
    with pytest.raises(ConfigError, match="--model is for --backend finetuned"):
        load_pipeline(tiny_model_dir, backend="nli", nli_model=str(tiny_nli_dir))
    with pytest.raises(ConfigError, match="--nli-model is for --backend nli"):
        load_pipeline(nli_model=str(tiny_nli_dir))
    with pytest.raises(ConfigError, match="unknown backend"):
        load_pipeline(backend="gpt")


def test_each_quote_reaches_the_classifier_with_its_attributed_speaker(
    tiny_pipeline: StancePipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ClassifyInput] = []
    original = tiny_pipeline.classifier.predict

    def recording(items, **kwargs):
        seen.extend(items)
        return original(items, **kwargs)

    monkeypatch.setattr(tiny_pipeline.classifier, "predict", recording)
    result = tiny_pipeline.label(TEXT)
    assert len(seen) == len(result.quotes) > 0
    by_text = {it.text: it for it in seen}
    for quote in result.quotes:
        assert by_text[quote.text].speaker == speaker_text(quote.speaker, quote.affiliation)
    ameri = by_text["Foreign forces must leave our country"]
    assert ameri.speaker == "Hadi al-Ameri (Badr Organization)"
