"""stancewire: stance and sentiment labelling for news quotes.

The code lives in the brief's top-level folders, installed as subpackages:
``stancewire.models`` (runtime library), ``stancewire.api`` (CLI and HTTP),
``stancewire.training`` and ``stancewire.eval``.
"""

from __future__ import annotations

__version__ = "0.1.0"
