"""Enterprise: dispute intake, drafts, my cases."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
