"""Forms of the expert journey: profile, past matters, conflicts, answers to proposals.

Choices that name codes are filled per request (in the reader's language) by
``fill_*_choices``; codes already stored on the profile are always offered, so a
profile imported with a rarer jurisdiction can be saved without losing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pycountry
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from expertmatch import i18n, vocabulary
from expertmatch.forms import MultiCheckboxField, NoNul, StrippedStringField, StrippedTextAreaField

# Column sizes (models/experts.py, models/assignments.py): forms refuse more than fits.
MAX_FULL_NAME = 160
MAX_HEADLINE = 200
MAX_BIO = 5000
MAX_FIRM = 200
MAX_MATTER_TITLE = 300
MAX_MATTER_SUMMARY = 4000
MAX_MATTER_ROLE = 200
MAX_ENTITY_NAME = 300
MAX_DECLINE_REASON = 1000
FIRST_MATTER_YEAR = 1970
FIRST_ADMISSION_YEAR = 1940
# Extra blank admission rows offered on the profile page for adding without JavaScript.
BLANK_ADMISSION_ROWS = 1

PROFILE_LANGUAGES = ("en", "zh")


def this_year() -> int:
    return date.today().year


class DateInput(DateField):
    """A date field whose refusal says what a valid date looks like."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(
                _l("Enter a real date as YYYY-MM-DD (for example 2030-01-31).")
            ) from None


class SmallIntegerField(IntegerField):
    """A whole number of at most a few digits: a 400-digit number would overflow the range
    check (and the column) instead of getting a message."""

    MAX_DIGITS = 6

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            digits = valuelist[0].strip().lstrip("+-")
            if digits.isdigit() and len(digits) > self.MAX_DIGITS:
                self.data = None
                raise ValueError(_l("Enter a whole number with at most 6 digits."))
        super().process_formdata(valuelist)


class NotInPast:
    """Refuse a date before today: a conflict or an absence that already ended."""

    def __init__(self, message: Any, strictly_future: bool = False) -> None:
        self.message = message
        self.strictly_future = strictly_future

    def __call__(self, form: Form, field: Any) -> None:
        if field.data is None:
            return
        today = date.today()
        if field.data < today or (self.strictly_future and field.data == today):
            raise ValidationError(self.message)


class YearRange:
    """A year between ``first`` and the current year (evaluated per request)."""

    def __init__(self, first: int) -> None:
        self.first = first

    def __call__(self, form: Form, field: Any) -> None:
        if field.data is None:
            return
        if not self.first <= field.data <= this_year():
            raise ValidationError(
                _l("Enter a year from %(first)d to %(last)d.", first=self.first, last=this_year())
            )


class AdmissionForm(Form):
    """One admission row; a row left empty is ignored, a row ticked "remove" is dropped."""

    # No Optional(): it would stop the chain before validate_jurisdiction sees a lone year.
    jurisdiction = SelectField(_l("Admitted in"))
    year = SmallIntegerField(
        _l("Year of admission"),
        validators=[Optional(), YearRange(FIRST_ADMISSION_YEAR)],
        render_kw={"inputmode": "numeric"},
    )
    status = SelectField(_l("Status"), validators=[Optional()])
    remove = BooleanField(_l("Remove this admission"))

    @property
    def is_blank(self) -> bool:
        return not self.jurisdiction.data and self.year.data is None

    def validate_jurisdiction(self, field: Any) -> None:
        if not field.data and self.year.data is not None and not self.remove.data:
            raise ValidationError(_l("Choose where you are admitted, or clear the year."))


class ProfileForm(FlaskForm):
    full_name = StrippedStringField(
        _l("Full name"), validators=[InputRequired(), Length(max=MAX_FULL_NAME), NoNul()]
    )
    role_type = SelectField(_l("Role"), validators=[InputRequired()])
    headline = StrippedStringField(
        _l("Headline"),
        validators=[InputRequired(), Length(max=MAX_HEADLINE), NoNul()],
        description=_l("One line clients read first, for example: SEP litigator, Munich and UPC."),
    )
    bio = StrippedTextAreaField(
        _l("Biography"),
        validators=[Optional(), Length(max=MAX_BIO), NoNul()],
        description=_l("Your practice in your own words (up to 5,000 characters)."),
    )
    firm = StrippedStringField(_l("Firm"), validators=[Optional(), Length(max=MAX_FIRM), NoNul()])
    profile_language = SelectField(
        _l("Language of this profile"),
        validators=[InputRequired()],
        description=_l("The language you write your biography and matters in."),
    )
    jurisdictions = MultiCheckboxField(
        _l("Jurisdictions and forums"),
        validators=[DataRequired(message=_l("Choose at least one jurisdiction."))],
    )
    languages = MultiCheckboxField(
        _l("Working languages"),
        validators=[DataRequired(message=_l("Choose at least one language."))],
    )
    dispute_types = MultiCheckboxField(
        _l("Dispute types"),
        validators=[DataRequired(message=_l("Choose at least one dispute type."))],
    )
    industries = MultiCheckboxField(_l("Industries"), validators=[Optional()])
    years_experience = SmallIntegerField(
        _l("Years of practice"),
        validators=[
            Optional(),
            NumberRange(min=0, max=70, message=_l("Enter a number from 0 to 70.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    capacity = SmallIntegerField(
        _l("Cases you can take at the same time"),
        validators=[
            InputRequired(message=_l("Enter a number from 1 to 30.")),
            NumberRange(min=1, max=30, message=_l("Enter a number from 1 to 30.")),
        ],
        description=_l("Open proposals and accepted cases both count."),
        render_kw={"inputmode": "numeric"},
    )
    daily_rate = SmallIntegerField(
        _l("Usual daily rate (CNY)"),
        validators=[
            Optional(),
            NumberRange(
                min=1, max=999_999, message=_l("Enter a daily rate from 1 to 999,999 CNY.")
            ),
        ],
        description=_l("Optional. Coordinators use it to keep a team within a fee budget."),
        render_kw={"inputmode": "numeric"},
    )
    availability = SelectField(_l("Availability"), validators=[InputRequired()])
    absent_until = DateInput(
        _l("Busy until"),
        validators=[
            Optional(),
            NotInPast(_l("The date must be in the future."), strictly_future=True),
        ],
        description=_l("Required when you are absent; you become available again after it."),
    )
    rapid_response = BooleanField(_l("I can act within 48 hours (urgent cases)"))
    location_country = SelectField(_l("Where you are based"), validators=[Optional()])
    admissions = FieldList(FormField(AdmissionForm), min_entries=0)

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        """An absence needs its end date (Optional() would skip an inline check)."""
        ok = super().validate(extra_validators)
        field = self.absent_until
        if self.availability.data == "absent" and field.data is None and not field.errors:
            field.errors = [*field.errors, _l("Give the date until which you are absent.")]
            ok = False
        return ok

    def validate_admissions(self, field: Any) -> None:
        """The same admission twice would be noise in the directory."""
        seen: set[str] = set()
        for row in field:
            if row.form.remove.data or row.form.is_blank:
                continue
            code = row.form.jurisdiction.data
            if code in seen:
                row.form.jurisdiction.errors = [
                    *row.form.jurisdiction.errors,
                    _l("This admission is listed twice."),
                ]
                raise ValidationError(_l("An admission is listed twice."))
            seen.add(code)


class MatterForm(FlaskForm):
    title = StrippedStringField(
        _l("Title"), validators=[InputRequired(), Length(max=MAX_MATTER_TITLE), NoNul()]
    )
    summary = StrippedTextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=MAX_MATTER_SUMMARY), NoNul()],
        description=_l(
            "What was at stake and what you did, without confidential client details "
            "(up to 4,000 characters)."
        ),
    )
    year = SmallIntegerField(
        _l("Year"), validators=[Optional(), YearRange(FIRST_MATTER_YEAR)],
        render_kw={"inputmode": "numeric"},
    )
    jurisdiction = SelectField(_l("Jurisdiction or forum"), validators=[Optional()])
    dispute_type = SelectField(_l("Dispute type"), validators=[Optional()])
    role = StrippedStringField(
        _l("Your role"),
        validators=[Optional(), Length(max=MAX_MATTER_ROLE), NoNul()],
        description=_l("For example: lead counsel for the defendant; technical expert witness."),
    )


class ConflictForm(FlaskForm):
    entity_name = StrippedStringField(
        _l("Company or person"),
        validators=[InputRequired(), Length(max=MAX_ENTITY_NAME), NoNul()],
        description=_l("Its name in Chinese or English; both are checked."),
    )
    relation = SelectField(_l("Relation"), validators=[InputRequired()])
    until = DateInput(
        _l("Until"),
        validators=[
            Optional(),
            NotInPast(_l("This date has passed: the conflict no longer applies.")),
        ],
        description=_l("Leave empty if the conflict has no end date."),
    )


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(
        _l("I declare that I have no conflict of interest with these parties"),
        validators=[
            DataRequired(
                message=_l("Confirm that you have no conflict of interest before accepting.")
            )
        ],
    )


class DeclineForm(FlaskForm):
    reason = StrippedTextAreaField(
        _l("Reason for declining"),
        validators=[
            DataRequired(message=_l("Give a reason so the coordinator can re-route.")),
            Length(max=MAX_DECLINE_REASON),
            NoNul(),
        ],
        description=_l("For example: a conflict, no capacity, outside my expertise."),
    )


# --- choices, in the reader's language ---------------------------------------------------------


def _with_current(codes: Iterable[str], current: Iterable[str | None]) -> list[str]:
    """The common codes plus any already stored, so saving never drops a stored code."""
    merged = list(codes)
    for code in current:
        if code and code not in merged:
            merged.append(code)
    return merged


def jurisdiction_choices(current: Iterable[str | None] = ()) -> list[tuple[str, str]]:
    return i18n.choices(
        "jurisdiction", _with_current(vocabulary.COMMON_JURISDICTIONS, current)
    )


def language_choices(current: Iterable[str | None] = ()) -> list[tuple[str, str]]:
    return i18n.choices("language", _with_current(vocabulary.COMMON_LANGUAGES, current))


def country_choices() -> list[tuple[str, str]]:
    """Every ISO country, named in the reader's language and sorted by that name."""
    pairs = [(c.alpha_2, i18n.country_name(c.alpha_2)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1])


def _placeholder(label: Any) -> list[tuple[str, str]]:
    return [("", str(label))]


def fill_profile_choices(form: ProfileForm, stored: dict[str, Any] | None = None) -> None:
    """Fill every select of the profile form; ``stored`` holds the profile's current codes."""
    stored = stored or {}
    form.role_type.choices = i18n.choices("role_type")
    form.profile_language.choices = i18n.choices("language", list(PROFILE_LANGUAGES))
    form.jurisdictions.choices = jurisdiction_choices(stored.get("jurisdictions", []))
    form.languages.choices = language_choices(stored.get("languages", []))
    form.dispute_types.choices = i18n.choices("dispute_type")
    form.industries.choices = i18n.choices("industry")
    form.availability.choices = i18n.choices("availability")
    countries = country_choices()
    location = stored.get("location_country")
    if location and location not in {code for code, _name in countries}:
        countries.append((location, i18n.country_name(location)))
    form.location_country.choices = _placeholder(_l("Not given")) + countries
    admission_codes = stored.get("admission_jurisdictions", [])
    for row in form.admissions:
        row.form.jurisdiction.choices = _placeholder(_l("Choose…")) + jurisdiction_choices(
            admission_codes
        )
        row.form.status.choices = i18n.choices("admission_status")


def fill_matter_choices(form: MatterForm, current: dict[str, str | None] | None = None) -> None:
    current = current or {}
    form.jurisdiction.choices = _placeholder(_l("Not given")) + jurisdiction_choices(
        [current.get("jurisdiction")]
    )
    form.dispute_type.choices = _placeholder(_l("Not given")) + i18n.choices("dispute_type")


def fill_conflict_choices(form: ConflictForm) -> None:
    form.relation.choices = _placeholder(_l("Choose…")) + i18n.choices("relation")


__all__ = [
    "AcceptForm",
    "AdmissionForm",
    "ConflictForm",
    "DeclineForm",
    "MatterForm",
    "ProfileForm",
    "fill_conflict_choices",
    "fill_matter_choices",
    "fill_profile_choices",
]
