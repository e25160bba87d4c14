"""The response network: centres, referrals, network dashboard, risk warnings.

Views validate a form, call services.network and flash + redirect. Cases are loaded through
services.access (404 outside the viewer's scope); referrals and warnings through the
``get_*_or_404`` helpers of services.network.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.i18n import code_name, current_locale
from expertmatch.models import Centre, DisputeCase, Referral
from expertmatch.network.forms import (
    AcceptReferralForm,
    CentreForm,
    MarketsForm,
    ReferForm,
    ReturnReferralForm,
    WarningForm,
)
from expertmatch.security import roles_required
from expertmatch.services import access, charts
from expertmatch.services import network as network_service

bp = Blueprint("network", __name__, url_prefix="/network")

STAFF = ("coordinator", "network", "admin")
ACTORS = ("coordinator", "admin")
READERS = ("network", "admin")
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")


# -- helpers for other blueprints' templates ----------------------------------------------------


@bp.app_context_processor
def network_helpers() -> dict[str, Any]:
    """``referral_panel(case)`` for the coordinator's case page; counts for landing pages."""
    return {
        "referral_panel": _referral_panel,
        "suggestion_count": lambda: network_service.suggestion_count(current_user),
        "targeted_warnings": lambda: network_service.warnings_for(current_user),
        "incoming_referrals": lambda: network_service.referral_lists(current_user).incoming,
        "referral_reason_text": network_service.reason_text,
    }


def _referral_panel(case: DisputeCase) -> dict[str, Any]:
    pending = network_service.pending_referral(case)
    can_refer = network_service.can_refer(case, current_user)
    form = None
    if can_refer:
        form = ReferForm(formdata=None)
        form.fill(network_service.referral_targets(case), current_locale())
    return {
        "history": network_service.referral_history(case),
        "pending": pending,
        "can_refer": can_refer,
        "can_respond": pending is not None and network_service.can_respond(pending, current_user),
        "refer_form": form,
        "accept_form": AcceptReferralForm(formdata=None),
        "return_form": ReturnReferralForm(formdata=None, prefix="return"),
    }


def _case_url(case_id: int) -> str:
    return url_for("coordinator.case_detail", case_id=case_id, _anchor="referrals")


# -- referrals ----------------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/refer", methods=["GET", "POST"])
@roles_required(*ACTORS)
def refer(case_id: int):
    """Refer a case of the coordinator's centre to another centre, with a reason."""
    case = access.get_actionable_case_or_404(case_id, current_user)
    if not network_service.can_refer(case, current_user):
        flash(_("This case cannot be referred now: only the case's own centre refers an open "
                "case, and only one referral at a time."), "error")
        return redirect(_case_url(case.id))
    form = ReferForm()
    form.fill(network_service.referral_targets(case), current_locale())
    if form.validate_on_submit():
        try:
            referral = network_service.refer(case, form.to_centre.data, form.reason.data,
                                             current_user)
        except network_service.NetworkError as error:
            target = getattr(form, error.field or "", None) or form.reason
            target.errors = [*target.errors, error.message]
        else:
            flash(_("The case is referred to %(centre)s. Its coordinators are notified.",
                    centre=referral.to_centre.name(current_locale())), "success")
            return redirect(_case_url(case.id))
    return render_template("network/refer.html", case=case, form=form)


def _answerable(referral_id: int) -> Referral:
    referral = network_service.get_referral_or_404(referral_id, current_user)
    if not network_service.can_respond(referral, current_user):
        abort(403)
    return referral


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@roles_required(*ACTORS)
def accept_referral(referral_id: int):
    referral = _answerable(referral_id)
    form = AcceptReferralForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(_case_url(referral.case_id))
    try:
        network_service.accept_referral(referral, current_user, form.note.data)
    except network_service.NetworkError as error:
        flash(error.message, "error")
    else:
        flash(_("You accepted the case: it now belongs to your centre."), "success")
    return redirect(_case_url(referral.case_id))


@bp.route("/referrals/<int:referral_id>/return", methods=["GET", "POST"])
@roles_required(*ACTORS)
def return_referral(referral_id: int):
    referral = _answerable(referral_id)
    form = ReturnReferralForm(prefix="return")
    if form.validate_on_submit():
        try:
            network_service.return_referral(referral, current_user, form.note.data)
        except network_service.NetworkError as error:
            form.note.errors = [*form.note.errors, error.message]
        else:
            flash(_("The case is returned to the referring centre with your note."), "success")
            return redirect(url_for("network.referrals"))
    return render_template("network/return.html", referral=referral, form=form)


@bp.route("/referrals")
@roles_required(*STAFF)
def referrals():
    """Referrals waiting for the centre's answer and the centre's own referrals."""
    lists = network_service.referral_lists(current_user)
    visible = network_service.visible_case_ids(
        current_user, {r.case_id for r in lists.incoming + lists.outgoing})
    return render_template("network/referrals.html", lists=lists, visible=visible)


# -- the network dashboard ----------------------------------------------------------------------


def _province_chart(data: network_service.NetworkDashboard) -> charts.Chart | None:
    if not data.by_province:
        return None
    title = _("Cases by the enterprise's province")
    labels = tuple(code_name("province", code) if code else _("Not given")
                   for code, _n in data.by_province)
    values = tuple(n for _code, n in data.by_province)
    svg = charts.horizontal_bars(title, labels, values, _("Cases"), current_locale())
    pairs = [(label, str(value)) for label, value in zip(labels, values, strict=True)]
    return charts.Chart("province", title, charts.describe(title, pairs), svg)


def _open_cases_chart(data: network_service.NetworkDashboard) -> charts.Chart | None:
    rows = sorted((r for r in data.rows if r.open_cases), key=lambda r: -r.open_cases)
    if not rows:
        return None
    title = _("Open cases per centre")
    labels = tuple(r.centre.name(current_locale()) for r in rows)
    values = tuple(r.open_cases for r in rows)
    svg = charts.horizontal_bars(title, labels, values, _("Open cases"), current_locale())
    pairs = [(label, str(value)) for label, value in zip(labels, values, strict=True)]
    return charts.Chart("open_cases", title, charts.describe(title, pairs), svg)


@bp.route("/")
@roles_required(*READERS)
def dashboard():
    data = network_service.network_dashboard(current_user)
    return render_template(
        "network/dashboard.html", data=data,
        province_chart=_province_chart(data), open_chart=_open_cases_chart(data),
        suggestions=network_service.suggestions_for(current_user),
    )


# -- centres ------------------------------------------------------------------------------------


@bp.route("/centres")
@roles_required(*READERS)
def centres():
    rows = db.session.scalars(db.select(Centre).order_by(Centre.kind, Centre.code)).all()
    return render_template("network/centres.html", centres=rows, toggle=EmptyForm())


@bp.route("/centres/new", methods=["GET", "POST"])
@roles_required("admin")
def new_centre():
    form = CentreForm()
    form.fill()
    if form.validate_on_submit():
        try:
            centre = network_service.save_centre(None, form.data_for_service(), current_user)
        except network_service.NetworkError as error:
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            flash(_("Centre %(code)s is created.", code=centre.code), "success")
            return redirect(url_for("network.centres"))
    return render_template("network/centre_form.html", form=form, centre=None)


def _centre_or_404(centre_id: int) -> Centre:
    centre = db.session.get(Centre, centre_id)
    if centre is None:
        abort(404)
    return centre


@bp.route("/centres/<int:centre_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_centre(centre_id: int):
    centre = _centre_or_404(centre_id)
    form = CentreForm(obj=centre)
    form.fill()
    if form.validate_on_submit():
        try:
            network_service.save_centre(centre, form.data_for_service(), current_user)
        except network_service.NetworkError as error:
            getattr(form, error.field or "code").errors.append(error.message)
        else:
            flash(_("Centre %(code)s is saved.", code=centre.code), "success")
            return redirect(url_for("network.centres"))
    return render_template("network/centre_form.html", form=form, centre=centre)


@bp.route("/centres/<int:centre_id>/<any(activate, deactivate):change>", methods=["POST"])
@roles_required("admin")
def toggle_centre(centre_id: int, change: str):
    centre = _centre_or_404(centre_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    open_cases = network_service.set_centre_active(centre, change == "activate", current_user)
    if change == "activate":
        flash(_("Centre %(code)s is active again: routing and referrals reach it.",
                code=centre.code), "success")
    else:
        flash(_("Centre %(code)s is closed: new cases are routed elsewhere. Its %(n)d open "
                "cases stay with it until referred.", code=centre.code, n=open_cases), "info")
    return redirect(url_for("network.centres"))


# -- risk warnings and suggestions --------------------------------------------------------------


@bp.route("/warnings")
@roles_required("enterprise", *STAFF)
def warnings():
    """Enterprises: the warnings that reach them. Staff: suggestions and every warning."""
    if current_user.role == "enterprise":
        return render_template("network/warnings_enterprise.html",
                               warnings=network_service.warnings_for(current_user))
    return render_template(
        "network/warnings.html",
        suggestions=network_service.suggestions_for(current_user),
        warnings=network_service.all_warnings(),
        can_publish=current_user.role in ACTORS,
        today=network_service.today(),
    )


@bp.route("/warnings/new", methods=["GET", "POST"])
@roles_required(*ACTORS)
def new_warning():
    """Publish a warning, blank or prefilled from a cluster suggestion."""
    form = WarningForm()
    form.fill()
    key = request.values.get("suggestion", "")
    suggestion = None
    if key:
        if not KEY_PATTERN.match(key):
            abort(404)
        suggestion = network_service.get_suggestion_or_404(key, current_user)
    if request.method == "GET" and suggestion is not None:
        form = WarningForm(formdata=None, data={
            **network_service.prefill(suggestion), "suggestion": key})
        form.fill()
    if form.validate_on_submit():
        try:
            warning = network_service.publish_warning(form.data_for_service(), current_user,
                                                      suggestion)
        except network_service.NetworkError as error:
            getattr(form, error.field or "industries").errors.append(error.message)
        else:
            flash(_("The warning is published to the enterprises it targets."), "success")
            return redirect(url_for("network.warning_detail", warning_id=warning.id))
    return render_template("network/warning_form.html", form=form, suggestion=suggestion)


@bp.route("/warnings/<int:warning_id>")
@roles_required("enterprise", *STAFF)
def warning_detail(warning_id: int):
    warning = network_service.get_warning_or_404(warning_id, current_user)
    reached = None
    if current_user.role in STAFF:
        reached = len(network_service.organisations_reached(warning))
    return render_template(
        "network/warning_detail.html", warning=warning, reached=reached,
        can_withdraw=network_service.can_withdraw(warning, current_user),
    )


@bp.route("/warnings/<int:warning_id>/withdraw", methods=["POST"])
@roles_required(*ACTORS)
def withdraw_warning(warning_id: int):
    warning = network_service.get_warning_or_404(warning_id, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        network_service.withdraw_warning(warning, current_user)
    except network_service.NetworkError as error:
        flash(error.message, "error")
    else:
        flash(_("The warning is withdrawn: enterprises no longer see it."), "success")
    return redirect(url_for("network.warning_detail", warning_id=warning.id))


@bp.route("/suggestions/<key>/dismiss", methods=["POST"])
@roles_required(*ACTORS)
def dismiss_suggestion(key: str):
    if not KEY_PATTERN.match(key):
        abort(404)
    suggestion = network_service.get_suggestion_or_404(key, current_user)
    if not EmptyForm().validate_on_submit():
        abort(400)
    network_service.dismiss_suggestion(suggestion, current_user)
    flash(_("The suggestion is dismissed for your centre. It comes back if more cases join."),
          "info")
    return redirect(url_for("network.warnings"))


@bp.route("/markets", methods=["GET", "POST"])
@roles_required("enterprise")
def markets():
    """The enterprise says where it sells, so warnings about those countries reach it."""
    organisation = current_user.organisation
    if organisation is None:
        abort(404)
    form = MarketsForm(data={"markets": organisation.markets or []}) \
        if request.method == "GET" else MarketsForm()
    form.fill()
    if form.validate_on_submit():
        network_service.set_markets(organisation, form.markets.data or [], current_user)
        flash(_("Your markets are saved."), "success")
        return redirect(url_for("network.warnings"))
    return render_template("network/markets.html", form=form)
