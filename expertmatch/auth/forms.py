"""Sign-in, registration and invitation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp

from expertmatch.forms import NoNul, StrippedStringField


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class PasswordFields:
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(), Length(max=200)],
        description=_l("At least 10 characters, with letters and digits."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class RegisterForm(PasswordFields, FlaskForm):
    display_name = StrippedStringField(
        _l("Your name"), validators=[InputRequired(), Length(max=120), NoNul()]
    )
    email = EmailField(
        _l("Work email"),
        validators=[
            InputRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    name_zh = StrippedStringField(
        _l("Organisation name (Chinese)"), validators=[Optional(), Length(max=200), NoNul()]
    )
    name_en = StrippedStringField(
        _l("Organisation name (English)"), validators=[Optional(), Length(max=200), NoNul()]
    )
    credit_code = StrippedStringField(
        _l("Unified social credit code"),
        validators=[
            InputRequired(),
            Regexp(
                r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$",
                message=_l("The code has 18 characters: digits and capital letters."),
            ),
        ],
    )
    industry = SelectField(_l("Industry"), validators=[InputRequired()])
    province = SelectField(_l("Province"), validators=[InputRequired()])
    size = SelectField(_l("Size"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        if not (self.name_zh.data or self.name_en.data):
            self.name_zh.errors = [
                *self.name_zh.errors,
                _l("Give the organisation's name in Chinese or English."),
            ]
            ok = False
        return ok


class InvitationForm(PasswordFields, FlaskForm):
    display_name = StrippedStringField(
        _l("Your name as clients should see it"),
        validators=[InputRequired(), Length(max=120), NoNul()],
    )
