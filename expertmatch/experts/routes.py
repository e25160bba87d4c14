"""Expert: profile, past matters, conflicts, proposals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/expert")
