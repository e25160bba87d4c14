"""Dashboards with charts and their tables, each table also as a CSV file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from expertmatch.i18n import current_locale
from expertmatch.models import utcnow
from expertmatch.security import roles_required
from expertmatch.services import charts, exports, reports

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = ("coordinator", "network", "admin")


def _request_cache() -> dict[str, Any]:
    """A cache that lives exactly as long as the request (``g`` may outlive it when an
    application context is shared, as in tests)."""
    cache = getattr(request, "_reports_cache", None)
    if cache is None:
        cache = {}
        request._reports_cache = cache  # type: ignore[attr-defined]
    return cache


def _dashboard() -> reports.Dashboard:
    """The viewer's numbers, computed once per request."""
    cache = _request_cache()
    if "dashboard" not in cache:
        cache["dashboard"] = reports.dashboard(
            current_user, warning_days=int(current_app.config["DEADLINE_WARNING_DAYS"])
        )
    return cache["dashboard"]


def _chart(name: str) -> charts.Chart | None:
    """A chart of the viewer's numbers, drawn at most once per request."""
    cache = _request_cache()
    key = f"chart:{name}"
    if key not in cache:
        cache[key] = charts.dashboard_chart(name, _dashboard(), current_locale())
    return cache[key]


@bp.route("/dashboard")
@roles_required(*READERS)
def dashboard():
    data = _dashboard()
    rendered = {name: _chart(name) for name in charts.DASHBOARD_CHARTS}
    return render_template("reports/dashboard.html", data=data, charts=rendered)


@bp.route("/charts/<name>.svg")
@roles_required(*READERS)
def chart(name: str):
    if name not in charts.DASHBOARD_CHARTS:
        abort(404)
    drawn = _chart(name)
    if drawn is None:
        abort(404)
    return Response(drawn.svg, mimetype="image/svg+xml")


@bp.route("/tables/<name>.csv")
@roles_required(*READERS)
def table_csv(name: str):
    """The same numbers as the page (same scope), for the reader's own reporting."""
    if name not in exports.DASHBOARD_TABLES:
        abort(404)  # refused before any query
    table = exports.dashboard_table(name, _dashboard())
    if table is None:
        abort(404)
    response = Response(exports.to_csv(table), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment",
                         filename=exports.filename(name, utcnow().date()))
    return response
