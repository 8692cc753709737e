"""The backend registry: names to factories, spaCy-registry style.

``@register_backend("name")`` makes a factory loadable by name;
``load_backend("name", **options)`` builds one. The built-in backends
(``finetuned``, ``nli``, ``embedding``) are imported only when first asked
for, so that ``stancewire --help`` does not pay for torch and transformers.
A third-party backend registers itself when its module is imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from stancewire.models.backends.base import StanceBackend
from stancewire.models.errors import ConfigError

__all__ = ["BUILTIN_BACKENDS", "backend_names", "load_backend", "register_backend"]

BackendFactory = Callable[..., StanceBackend]
F = TypeVar("F", bound=BackendFactory)

BUILTIN_BACKENDS: dict[str, str] = {
    "finetuned": "stancewire.models.backends.finetuned",
    "nli": "stancewire.models.backends.nli",
    "embedding": "stancewire.models.backends.embedding",
    "onnx": "stancewire.models.backends.onnx",
}
"""Built-in backend name -> the module that registers it."""

_REGISTRY: dict[str, BackendFactory] = {}


def register_backend(name: str) -> Callable[[F], F]:
    """Register a backend factory under ``name`` (a decorator).

    The factory takes keyword options (at least ``model`` and ``targets``,
    either may be None) and returns a ``StanceBackend``. Registering a name
    again replaces the earlier factory, as spaCy's registries do.
    """

    def decorate(factory: F) -> F:
        _REGISTRY[name] = factory
        return factory

    return decorate


def backend_names() -> list[str]:
    """Every backend name that ``load_backend`` accepts."""
    return sorted(set(BUILTIN_BACKENDS) | set(_REGISTRY))


def get_backend_factory(name: str) -> BackendFactory:
    """The factory registered for ``name``, importing a built-in one on first use.

    Raises:
        ConfigError: no backend has that name.
    """
    if name not in _REGISTRY and name in BUILTIN_BACKENDS:
        importlib.import_module(BUILTIN_BACKENDS[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend {name!r}; choose one of {', '.join(backend_names())}"
        ) from None


def load_backend(name: str, **options: Any) -> StanceBackend:
    """Build the backend registered as ``name`` with the given options.

    Example:
        >>> clf = load_backend("finetuned")  # the bundled model
        >>> nli = load_backend("nli", model="MoritzLaurer/deberta-v3-base-zeroshot-v2.0")

    Raises:
        ConfigError: unknown name, or options the backend cannot use.
        ModelLoadError: the model cannot be loaded.
    """
    return get_backend_factory(name)(**options)
