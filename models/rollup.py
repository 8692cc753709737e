"""Per-speaker stance roll-up (ANNOTATION.md section 5), a pure function."""

from __future__ import annotations

from collections.abc import Sequence

from stancewire.models.schema import Quote, SpeakerStance


def combine(labels: Sequence[str]) -> str:
    """Section 5: ``favor`` if some favor and no against, ``against`` the reverse,
    ``mixed`` if both, ``none`` otherwise."""
    has_favor = "favor" in labels
    has_against = "against" in labels
    if has_favor and has_against:
        return "mixed"
    if has_favor:
        return "favor"
    if has_against:
        return "against"
    return "none"


def roll_up(quotes: Sequence[Quote], targets: Sequence[str]) -> list[SpeakerStance]:
    """Group an article's quotes by speaker and combine their stances.

    Quotes without a speaker are left out: an unknown source has no stance to
    report. Speakers come out in order of their first quote.

    Args:
        quotes: the article's quotes, in output order (indices refer to it).
        targets: target names to roll up.
    """
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(quotes):
        if q.speaker:
            groups.setdefault(q.speaker, []).append(i)
    result: list[SpeakerStance] = []
    for name, idx in groups.items():
        first = quotes[idx[0]]
        aliases = sorted({a for i in idx for a in quotes[i].speaker_aliases} - {name})
        affiliation = next((quotes[i].affiliation for i in idx if quotes[i].affiliation), None)
        stance: dict[str, str] = {}
        evidence: dict[str, list[int]] = {}
        for target in targets:
            labels = [quotes[i].stance.get(target, "none") for i in idx]
            stance[target] = combine(labels)
            evidence[target] = [i for i, lab in zip(idx, labels, strict=True) if lab != "none"]
        result.append(
            SpeakerStance(
                speaker=name,
                speaker_aliases=aliases,
                speaker_type=first.speaker_type,
                affiliation=affiliation,
                n_quotes=len(idx),
                quotes=idx,
                stance=stance,
                evidence=evidence,
            )
        )
    return result
