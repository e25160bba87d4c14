"""Sign in and out, enterprise registration, expert invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from expertmatch import i18n
from expertmatch.auth.forms import InvitationForm, LoginForm, RegisterForm
from expertmatch.extensions import db, limiter
from expertmatch.forms import EmptyForm
from expertmatch.models import User
from expertmatch.security import is_safe_next
from expertmatch.services import accounts

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(func.lower(User.email) == accounts.normalise_email(form.email.data))
        )
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong email or password."))
        elif not user.active:
            form.email.errors.append(_("This account is deactivated. Contact your centre."))
        else:
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


def _fill_register_choices(form: RegisterForm) -> None:
    placeholder = [("", _("Choose…"))]
    form.industry.choices = placeholder + i18n.choices("industry")
    form.province.choices = placeholder + i18n.choices("province")
    form.size.choices = placeholder + i18n.choices("size")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    _fill_register_choices(form)
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, form.email.data)
        if problem:
            form.password.errors.append(problem)
        else:
            try:
                user = accounts.register_enterprise(
                    accounts.EnterpriseRegistration(
                        email=form.email.data,
                        password=form.password.data,
                        display_name=form.display_name.data,
                        name_zh=form.name_zh.data,
                        name_en=form.name_en.data,
                        credit_code=form.credit_code.data,
                        industry=form.industry.data,
                        province=form.province.data,
                        size=form.size.data,
                        locale=i18n.current_locale()[:2],
                    )
                )
            except accounts.AccountError as error:
                getattr(form, error.field or "email").errors.append(error.message)
            else:
                login_user(user)
                flash(_("Your account is ready. You can now file a dispute."), "success")
                return redirect(url_for("main.index"))
    return render_template("auth/register.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    try:
        invitation = accounts.find_invitation(token)
    except accounts.AccountError as error:
        return render_template("auth/invitation_invalid.html", message=error.message), 410
    form = InvitationForm()
    if request.method == "GET" and invitation.display_name:
        form.display_name.data = invitation.display_name
    if form.validate_on_submit():
        problem = accounts.password_problem(form.password.data, invitation.email)
        if problem:
            form.password.errors.append(problem)
        else:
            try:
                user = accounts.accept_invitation(
                    token, form.password.data, form.display_name.data, i18n.current_locale()[:2]
                )
            except accounts.AccountError as error:
                return render_template("auth/invitation_invalid.html", message=error.message), 410
            if current_user.is_authenticated:
                logout_user()
            login_user(user)
            flash(
                _("Welcome. Please complete your profile so we can match you to cases."), "success"
            )
            return redirect(url_for("main.index"))
    return render_template("auth/invitation.html", form=form, invitation=invitation)
