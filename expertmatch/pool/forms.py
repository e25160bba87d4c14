"""Forms of the expert pool: directory search, invitations, CSV import."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, HiddenField, IntegerField, SelectField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from expertmatch import i18n
from expertmatch.forms import NoNul, StrippedStringField, StrippedTextAreaField
from expertmatch.services.imports import max_file_bytes, too_large_message


class ExpertSearchForm(FlaskForm):
    """The directory's GET form: a search link can be bookmarked and shared, so no CSRF."""

    class Meta:
        csrf = False

    q = StrippedStringField(
        _l("Search"),
        validators=[Optional(), Length(max=200), NoNul()],
        description=_l("Name, headline, firm or biography."),
    )
    jurisdiction = SelectField(_l("Jurisdiction"), validators=[Optional()])
    dispute_type = SelectField(_l("Dispute type"), validators=[Optional()])
    industry = SelectField(_l("Industry"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    availability = SelectField(_l("Availability"), validators=[Optional()])
    role_type = SelectField(_l("Role"), validators=[Optional()])

    FILTERS = ("jurisdiction", "dispute_type", "industry", "language", "availability",
               "role_type")

    def fill_choices(self) -> None:
        """Choices named in the reader's language, each list led by “Any”."""
        any_ = [("", _("Any"))]
        self.jurisdiction.choices = any_ + i18n.choices("jurisdiction")
        self.dispute_type.choices = any_ + i18n.choices("dispute_type")
        self.industry.choices = any_ + i18n.choices("industry")
        self.language.choices = any_ + i18n.choices("language")
        self.availability.choices = any_ + i18n.choices("availability")
        self.role_type.choices = any_ + i18n.choices("role_type")

    def criteria(self) -> dict[str, str]:
        """The filters that passed validation; a bad value is shown as an error and ignored."""
        values = {"q": self.q.data or ""} if not self.q.errors else {"q": ""}
        for name in self.FILTERS:
            field = self[name]
            values[name] = "" if field.errors else (field.data or "")
        return values


class InvitationForm(FlaskForm):
    email = EmailField(
        _l("Expert's email"),
        validators=[
            InputRequired(),
            Length(max=254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    name = StrippedStringField(
        _l("Expert's name"), validators=[InputRequired(), Length(max=120), NoNul()]
    )
    expert_id = IntegerField(
        _l("Existing profile number (optional)"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
        description=_l("For an imported expert without an account: the number on their "
                       "profile page. The account they create is linked to that profile."),
    )


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(message=_l("Choose a CSV file to upload.")),
            FileAllowed(["csv"], message=_l("Upload a .csv file (comma-separated, UTF-8).")),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.file.description = _("At most %(size)d MB and %(rows)d rows, UTF-8 (with or "
                                  "without BOM), first line naming the columns.",
                                  size=max_file_bytes() // (1024 * 1024),
                                  rows=int(current_app.config["IMPORT_MAX_ROWS"]))

    def read_file(self) -> bytes | None:
        """The upload's bytes, or None with an error on the field when it is too large."""
        limit = max_file_bytes()
        data = self.file.data.read(limit + 1)
        if len(data) > limit:
            self.file.errors = [*self.file.errors, str(too_large_message(limit))]
            return None
        return data


class ImportConfirmForm(FlaskForm):
    ticket = HiddenField(validators=[InputRequired(), Length(max=2000)])


class RemoveExpertForm(FlaskForm):
    """Take an expert out of the pool (a soft delete that keeps every past assignment)."""

    reason = StrippedTextAreaField(
        _l("Why is this expert removed from the pool?"),
        validators=[InputRequired(), Length(max=1000), NoNul()],
    )
