"""Coordinator: queue, case page with ranking, proposals, closing, audit log."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")
