from __future__ import annotations

import pytest

from stancewire.models.rollup import combine, roll_up
from stancewire.models.schema import Quote


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["favor", "none"], "favor"),
        (["against"], "against"),
        (["favor", "against", "none"], "mixed"),
        (["none", "none"], "none"),
        ([], "none"),
    ],
)
def test_rollup_combine(labels: list[str], expected: str) -> None:
    assert combine(labels) == expected


def _q(speaker: str | None, us: str, mil: str, aliases: list[str] | None = None) -> Quote:
    return Quote(
        text="x y",
        kind="direct",
        speaker=speaker,
        speaker_type="person" if speaker else None,
        speaker_aliases=aliases or [],
        stance={"us_presence": us, "militias": mil},
    )


def test_rollup_groups_by_speaker_with_evidence() -> None:
    quotes = [
        _q("Hadi al-Ameri", "against", "none", ["Ameri"]),
        _q(None, "favor", "favor"),
        _q("Renad Mansour", "none", "none"),
        _q("Hadi al-Ameri", "favor", "favor", ["al-Ameri"]),
    ]
    speakers = roll_up(quotes, ["us_presence", "militias"])
    assert [s.speaker for s in speakers] == ["Hadi al-Ameri", "Renad Mansour"]
    ameri, mansour = speakers
    assert ameri.quotes == [0, 3]
    assert ameri.n_quotes == 2
    assert ameri.stance == {"us_presence": "mixed", "militias": "favor"}
    assert ameri.evidence == {"us_presence": [0, 3], "militias": [3]}
    assert ameri.speaker_aliases == ["Ameri", "al-Ameri"]
    assert mansour.stance == {"us_presence": "none", "militias": "none"}
    assert mansour.evidence == {"us_presence": [], "militias": []}
