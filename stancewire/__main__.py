"""Allow ``python -m stancewire``."""

from __future__ import annotations

from stancewire.api.cli import main

main()
