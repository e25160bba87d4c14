"""Forms of the network blueprint: referrals, centres, risk warnings, organisation markets."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from expertmatch import i18n
from expertmatch.forms import MultiCheckboxField, NoNul, StrippedStringField, StrippedTextAreaField
from expertmatch.vocabulary import COMMON_JURISDICTIONS, FORUMS

REASON_MAX = 2000
BODY_MAX = 10000
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")


def country_codes() -> list[str]:
    """Countries offered as markets and warning targets (forums are not markets)."""
    return [c for c in COMMON_JURISDICTIONS if c not in FORUMS]


class ReferForm(FlaskForm):
    to_centre = SelectField(_l("Refer to centre"), coerce=int,
                            validators=[InputRequired(_l("Choose the centre to refer to."))])
    reason = StrippedTextAreaField(
        _l("Reason for the referral"),
        validators=[DataRequired(_l("Say why the other centre should take the case.")),
                    Length(max=REASON_MAX), NoNul()],
        description=_l("For example: the enterprise's industry platform handles this wave of "
                       "suits; the outpost in the forum's country can act faster."),
    )

    def fill(self, centres: list[Any], locale: str) -> None:
        self.to_centre.choices = [
            (c.id, f"{c.name(locale)} ({i18n.code_name('centre_kind', c.kind)})") for c in centres
        ]


class AcceptReferralForm(FlaskForm):
    note = StrippedTextAreaField(_l("Note (optional)"),
                                 validators=[Optional(), Length(max=REASON_MAX), NoNul()])


class ReturnReferralForm(FlaskForm):
    note = StrippedTextAreaField(
        _l("Why is the case returned?"),
        validators=[DataRequired(_l("Say why the case is returned.")), Length(max=REASON_MAX),
                    NoNul()],
    )


class CentreForm(FlaskForm):
    code = StrippedStringField(
        _l("Code"),
        validators=[DataRequired(_l("Give the centre a short code.")), Length(max=32), NoNul()],
        description=_l("Capital letters, digits and hyphens, e.g. GD-SZ, IND-PV, OUT-DE."),
    )
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    name_zh = StrippedStringField(
        _l("Name in Chinese"),
        validators=[DataRequired(_l("Give the name in Chinese.")), Length(max=200), NoNul()])
    name_en = StrippedStringField(
        _l("Name in English"),
        validators=[DataRequired(_l("Give the name in English.")), Length(max=200), NoNul()])
    province = SelectField(_l("Province"), validators=[Optional()])
    city = StrippedStringField(_l("City"), validators=[Optional(), Length(max=100), NoNul()])
    industry = SelectField(_l("Industry"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    contact_email = StrippedStringField(
        _l("Contact email"),
        validators=[Optional(), Length(max=254), Email(_l("Enter a valid email address.")),
                    NoNul()])
    contact_phone = StrippedStringField(_l("Contact phone"),
                                        validators=[Optional(), Length(max=40), NoNul()])
    active = BooleanField(_l("Active (receives routed and referred cases)"), default=True)

    def fill(self) -> None:
        blank = [("", _l("— choose —"))]
        self.kind.choices = i18n.choices("centre_kind")
        self.province.choices = blank + i18n.choices("province")
        self.industry.choices = blank + i18n.choices("industry")
        self.country.choices = blank + i18n.choices("jurisdiction", country_codes())

    def validate_code(self, field: Any) -> None:
        field.data = (field.data or "").upper()
        if not CODE_PATTERN.match(field.data):
            raise ValidationError(_l("Use capital letters, digits and hyphens only."))

    def validate(self, extra_validators: Any = None) -> bool:
        """Each kind needs its place: a province, an industry or a country."""
        ok = super().validate(extra_validators)
        needs = {"regional": (self.province, _l("A regional centre needs its province.")),
                 "industry": (self.industry, _l("An industry platform needs its industry.")),
                 "outpost": (self.country, _l("An outpost needs the country it sits in."))}
        if self.kind.data in needs:
            field, message = needs[self.kind.data]
            if not field.data:
                field.errors = [*field.errors, message]
                ok = False
        return ok

    def data_for_service(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in (
            "code", "kind", "name_zh", "name_en", "province", "city", "industry", "country",
            "contact_email", "contact_phone", "active")}


class WarningForm(FlaskForm):
    title_zh = StrippedStringField(
        _l("Title in Chinese"),
        validators=[DataRequired(_l("Give the title in Chinese.")), Length(max=200), NoNul()])
    title_en = StrippedStringField(
        _l("Title in English"),
        validators=[DataRequired(_l("Give the title in English.")), Length(max=200), NoNul()])
    body_zh = StrippedTextAreaField(
        _l("Warning in Chinese"),
        validators=[DataRequired(_l("Write the warning in Chinese.")), Length(max=BODY_MAX),
                    NoNul()])
    body_en = StrippedTextAreaField(
        _l("Warning in English"),
        validators=[DataRequired(_l("Write the warning in English.")), Length(max=BODY_MAX),
                    NoNul()])
    industries = MultiCheckboxField(
        _l("Industries targeted"),
        description=_l("Enterprises of these industries see the warning (none: any industry)."))
    countries = MultiCheckboxField(
        _l("Markets targeted"),
        description=_l("Enterprises selling in one of these countries see the warning "
                       "(none: any market). Target industries, countries or both."))
    forums = MultiCheckboxField(_l("Forums concerned"))
    dispute_types = MultiCheckboxField(_l("Dispute types concerned"))
    expires_on = DateField(_l("Show until (optional)"), validators=[Optional()],
                           description=_l("Leave empty to show it until it is withdrawn."))
    suggestion = HiddenField()

    def fill(self) -> None:
        self.industries.choices = i18n.choices("industry")
        self.countries.choices = i18n.choices("jurisdiction", country_codes())
        self.forums.choices = [(code, i18n.country_name(code)) for code in FORUMS]
        self.dispute_types.choices = i18n.choices("dispute_type")

    def validate_expires_on(self, field: Any) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("The end date cannot be in the past."))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.industries.data or self.countries.data):
            self.industries.errors = [*self.industries.errors, _l(
                "Target at least one industry or one country, so the warning reaches the "
                "enterprises at risk and no one else.")]
            ok = False
        return ok

    def data_for_service(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in (
            "title_zh", "title_en", "body_zh", "body_en", "industries", "countries", "forums",
            "dispute_types", "expires_on")}


class MarketsForm(FlaskForm):
    markets = MultiCheckboxField(
        _l("Markets you sell in"),
        description=_l("Risk warnings about these countries reach you."))

    def fill(self) -> None:
        self.markets.choices = i18n.choices("jurisdiction", country_codes())
