"""ExpertMatch: matching experts to foreign-related IP disputes.

``create_app`` is imported lazily so that ``import expertmatch.matching`` (the
pure ranking library used by the CLI and the benchmarks) never loads Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application; see :func:`expertmatch.app.create_app`."""
    from expertmatch.app import create_app as _create_app

    return _create_app(test_config)
