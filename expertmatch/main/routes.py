"""Landing pages, the language switch and notifications."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.i18n import SUPPORTED
from expertmatch.models import Notification, utcnow
from expertmatch.security import is_safe_next

bp = Blueprint("main", __name__)

# Where each role starts; the blueprints of later features register these endpoints.
LANDING = {
    "enterprise": "main.landing",
    "expert": "main.landing",
    "coordinator": "main.landing",
    "network": "main.landing",
    "admin": "main.landing",
}


@bp.app_context_processor
def inject_navigation() -> dict:
    unread = 0
    if current_user.is_authenticated:
        unread = db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == current_user.id, Notification.read_at.is_(None)
            )
        )
    return {"unread_notifications": unread}


@bp.route("/")
def index():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    return redirect(url_for(LANDING.get(current_user.role, "main.landing")))


@bp.route("/home")
@login_required
def landing():
    return render_template(f"main/landing_{current_user.role}.html")


@bp.route("/language", methods=["POST"])
def set_language():
    form = EmptyForm()
    code = request.form.get("locale", "")
    if not form.validate_on_submit() or code not in SUPPORTED:
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if is_safe_next(target) else url_for("main.index"))


@bp.route("/health")
def health():
    """For probes: database, model, vectors up to date. 200 when the app can serve
    (a missing model degrades ranking but is not down), 503 when the database is not."""
    from expertmatch.services import matching

    report: dict = {"status": "ok"}
    try:
        db.session.execute(select(1))
        report["database"] = {"ok": True}
    except Exception as error:  # noqa: BLE001 - any failure means "database down"
        db.session.rollback()
        report["database"] = {"ok": False, "error": type(error).__name__}
        report["status"] = "down"
        return jsonify(report), 503
    model = matching.model_status()
    with_vectors, experts = matching.vectors_pending()
    report["model"] = {"name": model["model"], "loaded": model["loaded"], "error": model["error"]}
    report["vectors"] = {
        "experts": experts,
        "with_vectors": with_vectors,
        "up_to_date": model["loaded"] and with_vectors == experts,
    }
    if not model["loaded"]:
        report["status"] = "degraded"
    return jsonify(report)


@bp.route("/notifications")
@login_required
def notifications():
    items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(100)
    ).all()
    return render_template("main/notifications.html", items=items)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    for note in db.session.scalars(
        select(Notification).where(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)
        )
    ):
        note.read_at = utcnow()
    db.session.commit()
    flash(_("All notifications are marked as read."), "info")
    return redirect(url_for("main.notifications"))
