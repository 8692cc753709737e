"""Stance targets: what a quote can take a side on, read from a config file.

Targets live in JSON (``models/targets.json`` by default) so that a user can add
one without touching code: a zero-shot backend uses its ``hypotheses``, an
embedding backend its ``description``. A fine-tuned model only knows the
targets it was trained on and says so when asked for another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from stancewire.models.errors import ConfigError

DEFAULT_TARGETS_PATH = Path(__file__).with_name("targets.json")


@dataclass(frozen=True)
class Target:
    """One stance target.

    Attributes:
        name: identifier used as the key in ``stance`` (``us_presence``).
        description: one sentence saying what the target is.
        hypotheses: NLI hypotheses for ``favor`` and ``against``.
    """

    name: str
    description: str
    hypotheses: dict[str, str] = field(default_factory=dict)


def load_targets(path: str | Path | None = None) -> list[Target]:
    """Read targets from a JSON file (``{"targets": [{name, description, hypotheses}]}``).

    Raises:
        ConfigError: the file is missing, malformed, or repeats a name.
    """
    path = Path(path) if path is not None else DEFAULT_TARGETS_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        targets = [
            Target(
                name=str(t["name"]),
                description=str(t["description"]),
                hypotheses={str(k): str(v) for k, v in t.get("hypotheses", {}).items()},
            )
            for t in raw["targets"]
        ]
    except FileNotFoundError as err:
        raise ConfigError(f"targets file not found: {path}") from err
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ConfigError(f"malformed targets file {path}: {err}") from err
    names = [t.name for t in targets]
    if len(set(names)) != len(names) or not names:
        raise ConfigError(f"targets file {path} must list unique target names, got {names}")
    return targets
