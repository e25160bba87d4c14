"""The shared expert pool: directory, invitations, CSV import."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pool", __name__, url_prefix="/pool")
