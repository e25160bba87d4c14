"""API credentials on the web: each user's own tokens; administrators' platform keys.

A new secret is shown once, on the page that answers the POST (never stored, never put in
the session or a redirect), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from expertmatch import i18n
from expertmatch.credentials.forms import PlatformKeyForm, TokenForm
from expertmatch.extensions import db
from expertmatch.forms import EmptyForm
from expertmatch.models import ROLES as ALL_ROLES
from expertmatch.models import ApiCredential, Centre
from expertmatch.security import roles_required
from expertmatch.services import credentials

bp = Blueprint("credentials", __name__)


def _no_store(body, status: int = 200):  # type: ignore[no-untyped-def]
    return body, status, {"Cache-Control": "no-store"}


def _own_or_404(credential_id: int) -> ApiCredential:
    credential = db.session.get(ApiCredential, credential_id)
    if credential is None or credential.kind != "personal" or credential.user_id != current_user.id:
        abort(404)
    return credential


def _centre_keys() -> list[ApiCredential]:
    """A coordinator sees (not manages) the platform keys acting for their centre."""
    if current_user.role != "coordinator" or current_user.centre_id is None:
        return []
    return [k for k in credentials.platform_keys() if k.centre_id == current_user.centre_id]


def _render_tokens(form: TokenForm, issued: credentials.Issued | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    tokens = credentials.tokens_of(current_user)
    centre_keys = _centre_keys()
    return _no_store(render_template(
        "credentials/tokens.html", form=form, tokens=tokens, centre_keys=centre_keys,
        issued=issued, last_used=credentials.last_used([t.id for t in tokens + centre_keys]),
    ), status)


@bp.route("/account/api-tokens", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def tokens():
    form = TokenForm()
    form.offer(credentials.allowed_scopes("personal", current_user))
    if not form.is_submitted():
        return _render_tokens(form)
    issued = None
    if form.validate():
        try:
            issued = credentials.create_personal_token(current_user, form.name.data,
                                                       form.scopes.data)
        except credentials.CredentialError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            form = TokenForm(formdata=None)
            form.offer(credentials.allowed_scopes("personal", current_user))
    return _render_tokens(form, issued, 200 if issued or not form.errors else 400)


@bp.route("/account/api-tokens/<int:credential_id>/revoke", methods=["POST"])
@roles_required(*ALL_ROLES)
def revoke_token(credential_id: int):
    credential = _own_or_404(credential_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    credentials.revoke(credential, current_user)
    flash(_("The token %(prefix)s is revoked: it is refused from now on.",
            prefix=credential.prefix), "success")
    return redirect(url_for("credentials.tokens"))


def _platform_form() -> PlatformKeyForm:
    form = PlatformKeyForm()
    form.offer(credentials.PLATFORM_SCOPES)
    centres = db.session.scalars(select(Centre).where(Centre.active.is_(True))
                                 .order_by(Centre.code)).all()
    form.offer_centres(list(centres), i18n.current_locale())
    return form


def _render_keys(form: PlatformKeyForm, issued: credentials.Issued | None = None,
                 status: int = 200):  # type: ignore[no-untyped-def]
    keys = credentials.platform_keys()
    return _no_store(render_template(
        "credentials/platform_keys.html", form=form, keys=keys, issued=issued,
        last_used=credentials.last_used([k.id for k in keys]),
    ), status)


@bp.route("/admin/api-keys", methods=["GET", "POST"])
@roles_required("admin")
def platform_keys():
    form = _platform_form()
    if not form.is_submitted():
        return _render_keys(form)
    issued = None
    if form.validate():
        try:
            issued = credentials.create_platform_key(
                form.name.data, form.centre_id.data, form.scopes.data, current_user)
        except credentials.CredentialError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            form = _platform_form_blank()
    return _render_keys(form, issued, 200 if issued or not form.errors else 400)


def _platform_form_blank() -> PlatformKeyForm:
    form = _platform_form()
    form.process(formdata=None)
    return form


@bp.route("/admin/api-keys/<int:credential_id>/revoke", methods=["POST"])
@roles_required("admin")
def revoke_platform_key(credential_id: int):
    credential = db.session.get(ApiCredential, credential_id)
    if credential is None or credential.kind != "platform":
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    credentials.revoke(credential, current_user)
    flash(_("The key %(prefix)s is revoked: it is refused from now on.",
            prefix=credential.prefix), "success")
    return redirect(url_for("credentials.platform_keys"))
