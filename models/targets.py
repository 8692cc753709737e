"""Stance targets and sentiment wording: what a quote is judged on, read from a config file.

Targets live in JSON (``models/targets.json`` by default) so that a user can add
one without touching code: the ``nli`` backend turns each target's
``hypotheses`` into NLI hypotheses, the ``embedding`` backend compares a quote
with the same sentences. A fine-tuned model only knows the targets it was
trained on and says so when asked for another (``ConfigError``).

Which file is read: the path given (``--targets PATH``), else the file named by
the environment variable ``STANCEWIRE_TARGETS``, else the bundled default.

File layout::

    {
      "targets": [
        {"name": "us_presence",
         "description": "The US military presence in Iraq.",
         "hypotheses": {"favor": "The speaker supports ...",
                        "against": "The speaker opposes ..."},
         "none": "(optional) text that stands for 'no side taken'"}
      ],
      "sentiment": {                                   (optional section)
        "hypotheses": {"positive": "...", "negative": "..."},
        "neutral": "text that stands for a neutral tone"
      }
    }

A target without ``hypotheses`` gets generic ones built from its description
(:meth:`Target.hypothesis`); a file without ``sentiment`` uses the bundled
sentiment wording.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stancewire.models.errors import ConfigError

DEFAULT_TARGETS_PATH = Path(__file__).with_name("targets.json")
TARGETS_ENV = "STANCEWIRE_TARGETS"
"""Environment variable naming a targets file to use instead of the bundled one."""

RESERVED_NAMES = frozenset({"sentiment"})


class Target(BaseModel):
    """One stance target.

    Attributes:
        name: identifier used as the key in ``stance`` (``us_presence``).
        description: one sentence saying what the target is.
        hypotheses: NLI hypotheses for ``favor`` and ``against``.
        none: optional text standing for "no side taken" (embedding backend);
            by default :func:`none_description`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    description: str = Field(min_length=1)
    hypotheses: dict[str, str] = Field(default_factory=dict)
    none: str | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved for the sentiment task")
        return name

    @field_validator("hypotheses")
    @classmethod
    def _favor_against_only(cls, hypotheses: dict[str, str]) -> dict[str, str]:
        extra = set(hypotheses) - {"favor", "against"}
        if extra:
            raise ValueError(f"hypotheses are for 'favor' and 'against' only, not {sorted(extra)}")
        return hypotheses

    def hypothesis(self, label: str) -> str:
        """The sentence that stands for ``favor`` or ``against`` this target.

        Why a fallback: a user adding a target may write only a description;
        a generic "The speaker supports/opposes ..." still gives the zero-shot
        backends something to compare with.
        """
        if label in self.hypotheses:
            return self.hypotheses[label]
        verb = {"favor": "supports", "against": "opposes"}[label]
        return f"The speaker {verb} this: {self.description}"

    def none_text(self) -> str:
        """The sentence that stands for stance ``none`` toward this target."""
        return self.none or none_description(self)


def none_description(target: Target) -> str:
    """The default text that stands for stance ``none``: the target named, no side taken."""
    return (
        "The speaker takes no side for or against this and states facts or other matters: "
        f"{target.description}"
    )


class SentimentSpec(BaseModel):
    """How the zero-shot backends phrase sentiment.

    Attributes:
        hypotheses: NLI hypotheses for ``positive`` and ``negative``; ``neutral``
            is what is left when neither is entailed.
        neutral: text that stands for a neutral tone (embedding backend).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    hypotheses: dict[str, str]
    neutral: str

    @field_validator("hypotheses")
    @classmethod
    def _positive_and_negative(cls, hypotheses: dict[str, str]) -> dict[str, str]:
        if set(hypotheses) != {"positive", "negative"}:
            raise ValueError(
                f"sentiment hypotheses must be exactly 'positive' and 'negative', "
                f"got {sorted(hypotheses)}"
            )
        return hypotheses


class TargetsConfig(BaseModel):
    """A whole targets file: the targets, and optionally the sentiment wording."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: list[Target] = Field(min_length=1)
    sentiment: SentimentSpec | None = None

    @field_validator("targets")
    @classmethod
    def _unique(cls, targets: list[Target]) -> list[Target]:
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            raise ValueError(f"target names must be unique, got {names}")
        return targets

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]


def targets_path(path: str | Path | None = None) -> Path:
    """The targets file to read: ``path``, else ``$STANCEWIRE_TARGETS``, else the default."""
    if path is not None:
        return Path(path)
    env = os.environ.get(TARGETS_ENV)
    return Path(env) if env else DEFAULT_TARGETS_PATH


def targets_requested(path: str | Path | None = None) -> bool:
    """Whether the user chose a targets file (argument or environment), not the default.

    Why: the fine-tuned backend checks the chosen targets against the ones it
    was trained on only when the user actually asked for some.
    """
    return targets_path(path) != DEFAULT_TARGETS_PATH


def _read(path: Path) -> TargetsConfig:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return TargetsConfig.model_validate(raw)
    except FileNotFoundError as err:
        raise ConfigError(f"targets file not found: {path}") from err
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot read targets file {path}: {err}") from err
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"malformed targets file {path}: {problems}") from err


def load_targets_config(path: str | Path | None = None) -> TargetsConfig:
    """Read a targets file (see the module docstring), filling in the sentiment wording.

    Raises:
        ConfigError: the file is missing, malformed, or repeats a name.
    """
    resolved = targets_path(path)
    config = _read(resolved)
    if config.sentiment is None:
        default = _read(DEFAULT_TARGETS_PATH).sentiment
        config = config.model_copy(update={"sentiment": default})
    return config


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The targets of a targets file (``path``, ``$STANCEWIRE_TARGETS`` or the default).

    Raises:
        ConfigError: the file is missing, malformed, or repeats a name.
    """
    return list(load_targets_config(path).targets)


def resolve_targets(
    targets: str | Path | Sequence[Target] | TargetsConfig | None,
) -> TargetsConfig:
    """Accept a path, a list of targets, a config, or None (the default file).

    Why: backends take ``targets=`` in whichever form the caller has; a bare
    list of targets gets the default sentiment wording.
    """
    if isinstance(targets, TargetsConfig):
        return targets
    if targets is None or isinstance(targets, str | Path):
        return load_targets_config(targets)
    default = load_targets_config(DEFAULT_TARGETS_PATH)
    try:
        return TargetsConfig(targets=list(targets), sentiment=default.sentiment)
    except ValidationError as err:
        raise ConfigError(f"invalid targets: {err}") from err
