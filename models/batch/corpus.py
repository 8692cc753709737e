"""The corpus view behind ``stancewire report``: each speaker across all articles.

An article's records roll quotes up per speaker (ANNOTATION.md section 5); an
analyst of an archive wants the same across articles: who is quoted most, with
which affiliation, and which way they lean toward each target. This module
merges the per-article speakers into corpus speakers and writes the result as
CSV and as a self-contained HTML table.

Merging names, conservatively (a wrong merge is worse than a split):

- names are compared case-folded, without dots, a leading "the" and extra
  spaces, so ``U.S.`` and ``US`` are one speaker;
- a one-word person name (``Sudani``, ``al-Sudani``) joins the only
  multi-word person whose aliases or surname it matches; if two people share
  that surname it stays on its own;
- unnamed sources ("an official") are left out unless asked for, since the
  same wording in two articles rarely means the same person.

The corpus stance toward a target applies the section-5 rule to all of the
speaker's quotes: ``favor`` if some quote is favor and none against, and so on;
the favor / against / none quote counts beside it say how clear-cut it is.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from stancewire import __version__
from stancewire.models.batch.formats import FORMAT_BY_SUFFIX, journal_path
from stancewire.models.errors import InputError
from stancewire.models.rollup import combine
from stancewire.models.schema import STANCE_LABELS, LabelledArticle

TEMPLATE_DIR = Path(__file__).parent / "templates"
EXAMPLE_ARTICLES = 5
_NAME_PREFIXES = ("al-", "el-", "al ", "el ")


class CorpusSpeaker(BaseModel):
    """One speaker across the corpus.

    Attributes:
        name: canonical name (the fullest form seen).
        aliases: other names merged into this speaker.
        n_articles: articles quoting the speaker; ``n_quotes``: their quotes.
        stance: target -> corpus-wide label (section-5 rule over all quotes).
        counts: target -> quote counts per stance label (``favor``, ``against``, ``none``).
        articles: up to five example article ids, in input order.
    """

    name: str
    speaker_type: str | None = None
    affiliation: str | None = None
    aliases: list[str]
    n_articles: int
    n_quotes: int
    stance: dict[str, str]
    counts: dict[str, dict[str, int]]
    articles: list[str]


class CorpusView(BaseModel):
    """All speakers of a corpus, most quoted first."""

    source: str
    targets: list[str]
    n_articles: int
    n_quotes: int
    speakers: list[CorpusSpeaker]


def report_paths(results: Path) -> tuple[Path, Path]:
    """Default CSV and HTML paths for a results file: ``OUT.speakers.csv`` / ``.html``."""
    name = results.name
    for suffix in FORMAT_BY_SUFFIX:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.removesuffix(".journal")
    return (
        results.with_name(name + ".speakers.csv"),
        results.with_name(name + ".speakers.html"),
    )


def read_results(path: Path) -> Iterator[LabelledArticle]:
    """The labelled articles of a ``stancewire label`` output.

    A ``.csv`` or ``.parquet`` output is read through its JSONL journal (which
    holds everything). A last line without a newline (a run still writing, or
    killed) is ignored.

    Raises:
        InputError: the file is missing or a line is not a labelled article.
    """
    if path.suffix.lower() in FORMAT_BY_SUFFIX and path.suffix.lower() not in (".jsonl", ".ndjson"):
        path = journal_path(path)
    if not path.is_file():
        raise InputError(f"results not found: {path}")
    with path.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n") or not line.strip():
                continue
            try:
                yield LabelledArticle.model_validate_json(line)
            except ValidationError as err:
                detail = err.errors()[0]
                raise InputError(
                    f"{path} line {lineno} is not a labelled article "
                    f"({'.'.join(str(x) for x in detail['loc'])}: {detail['msg']})"
                ) from err


def _norm(name: str) -> str:
    text = " ".join(name.casefold().replace(".", "").replace("’", "'").split())
    return text.removeprefix("the ")


def _surname_keys(norm: str) -> set[str]:
    last = norm.split()[-1]
    keys = {last}
    for prefix in _NAME_PREFIXES:
        if last.startswith(prefix):
            keys.add(last[len(prefix) :])
    return keys


@dataclass
class _Group:
    """Mentions of one speaker being merged."""

    names: Counter[str] = field(default_factory=Counter)
    aliases: set[str] = field(default_factory=set)
    types: Counter[str] = field(default_factory=Counter)
    affiliations: Counter[str] = field(default_factory=Counter)
    articles: dict[str, None] = field(default_factory=dict)
    n_quotes: int = 0
    labels: dict[str, Counter[str]] = field(default_factory=dict)

    def absorb(self, other: _Group) -> None:
        self.names.update(other.names)
        self.aliases |= other.aliases
        self.types.update(other.types)
        self.affiliations.update(other.affiliations)
        self.articles.update(other.articles)
        self.n_quotes += other.n_quotes
        for target, counts in other.labels.items():
            self.labels.setdefault(target, Counter()).update(counts)


def _canonical(names: Counter[str]) -> str:
    """The fullest form: most words, then most frequent, then first seen."""
    order = {name: i for i, name in enumerate(names)}
    return max(names, key=lambda n: (len(n.split()), names[n], -order[n]))


def build_corpus(
    records: Iterable[LabelledArticle],
    *,
    include_unnamed: bool = False,
    min_quotes: int = 1,
    source: str = "",
) -> CorpusView:
    """Merge the per-article speakers of ``records`` into corpus speakers (see module doc)."""
    groups: dict[str, _Group] = {}
    targets: dict[str, None] = {}
    n_articles = n_quotes = 0
    for record in records:
        n_articles += 1
        n_quotes += len(record.quotes)
        for sp in record.speakers:
            targets.update(dict.fromkeys(sp.stance))
            if sp.speaker_type == "unnamed" and not include_unnamed:
                continue
            key = ("unnamed:" if sp.speaker_type == "unnamed" else "") + _norm(sp.speaker)
            group = groups.setdefault(key, _Group())
            group.names[sp.speaker] += 1
            group.aliases.update(sp.speaker_aliases)
            group.types[sp.speaker_type or "unknown"] += 1
            if sp.affiliation:
                group.affiliations[sp.affiliation] += 1
            group.articles[record.id] = None
            group.n_quotes += sp.n_quotes
            for target in sp.stance:
                labels = [record.quotes[i].stance.get(target, "none") for i in sp.quotes]
                group.labels.setdefault(target, Counter()).update(labels)
    _merge_short_person_names(groups)
    speakers = []
    for group in groups.values():
        if group.n_quotes < min_quotes:
            continue
        name = _canonical(group.names)
        counts = {
            t: {label: group.labels.get(t, Counter())[label] for label in STANCE_LABELS}
            for t in targets
        }
        speakers.append(
            CorpusSpeaker(
                name=name,
                speaker_type=group.types.most_common(1)[0][0],
                affiliation=(
                    group.affiliations.most_common(1)[0][0] if group.affiliations else None
                ),
                aliases=sorted((set(group.names) | group.aliases) - {name}),
                n_articles=len(group.articles),
                n_quotes=group.n_quotes,
                stance={
                    t: combine(list(group.labels.get(t, Counter()).elements())) for t in targets
                },
                counts=counts,
                articles=list(group.articles)[:EXAMPLE_ARTICLES],
            )
        )
    speakers.sort(key=lambda s: (-s.n_quotes, -s.n_articles, s.name.casefold()))
    return CorpusView(
        source=source,
        targets=list(targets),
        n_articles=n_articles,
        n_quotes=n_quotes,
        speakers=speakers,
    )


def _merge_short_person_names(groups: dict[str, _Group]) -> None:
    """Fold one-word person names into the single full name they abbreviate."""

    def is_person(group: _Group) -> bool:
        return group.types.most_common(1)[0][0] == "person"

    index: dict[str, set[str]] = {}
    for key, group in groups.items():
        if key.startswith("unnamed:") or len(key.split()) < 2 or not is_person(group):
            continue
        for alias in group.aliases:
            index.setdefault(_norm(alias), set()).add(key)
        for surname in _surname_keys(key):
            index.setdefault(surname, set()).add(key)
    for key in list(groups):
        group = groups[key]
        if key.startswith("unnamed:") or len(key.split()) != 1 or not is_person(group):
            continue
        matches = set().union(*(index.get(k, set()) for k in {key} | _surname_keys(key)))
        if len(matches) == 1:
            (into,) = matches
            groups[into].absorb(groups.pop(key))


def csv_header(targets: list[str]) -> list[str]:
    """Columns of the corpus CSV."""
    per_target = [col for t in targets for col in (t, f"{t}_favor", f"{t}_against", f"{t}_none")]
    return [
        "speaker",
        "speaker_type",
        "affiliation",
        "n_articles",
        "n_quotes",
        *per_target,
        "aliases",
        "example_articles",
    ]


def write_corpus_csv(view: CorpusView, path: Path) -> None:
    """One row per speaker; aliases and example article ids are ``; ``-joined."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_header(view.targets))
        for sp in view.speakers:
            per_target = [
                v
                for t in view.targets
                for v in (
                    sp.stance[t],
                    sp.counts[t]["favor"],
                    sp.counts[t]["against"],
                    sp.counts[t]["none"],
                )
            ]
            writer.writerow(
                [
                    sp.name,
                    sp.speaker_type or "",
                    sp.affiliation or "",
                    sp.n_articles,
                    sp.n_quotes,
                    *per_target,
                    "; ".join(sp.aliases),
                    "; ".join(sp.articles),
                ]
            )


def render_corpus_html(view: CorpusView) -> str:
    """The corpus table as one HTML page: no external files, sortable by any column."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("corpus.html.j2").render(view=view, version=__version__)


def write_corpus_html(view: CorpusView, path: Path) -> None:
    """Write :func:`render_corpus_html` to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_corpus_html(view), encoding="utf-8")
