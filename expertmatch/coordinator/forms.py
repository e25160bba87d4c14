"""Coordinator forms: queue and audit filters (GET), proposals, messages, status and closing."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from expertmatch import i18n
from expertmatch.forms import MultiCheckboxField, NoNul, StrippedStringField, StrippedTextAreaField
from expertmatch.models import OPEN_STATUSES
from expertmatch.services.cases import MAX_MESSAGE

NOTE_MAX = 2000
# Numeric(18, 2): sixteen digits before the decimal point, two after.
AMOUNT_INTEGER_DIGITS = 16
CENT = Decimal("0.01")


class ListedChoice:
    """The value is one of the field's choices; our own message, in both languages."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("Choose one of the listed options.")

    def __call__(self, form: FlaskForm, field: Any) -> None:
        allowed = {str(value) for value, _label in field.choices or []}
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(str(v) not in allowed for v in values if v not in (None, "")):
            raise ValidationError(self.message)


def parse_amount(raw: str | None) -> Decimal | None:
    """A recovered amount as typed ("1,250,000.50"); None when empty. Raises ValueError."""
    text = (raw or "").replace(",", "").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


class AmountRecovered:
    """Not negative, and fits the column: at most 16 digits before the point and 2 after."""

    def __call__(self, form: FlaskForm, field: Any) -> None:
        try:
            value = parse_amount(field.data)
        except ValueError:
            raise ValidationError(_l("Enter the amount as a number, e.g. 125000.50.")) from None
        if value is None:
            return
        if value < 0:
            raise ValidationError(_l("The amount recovered cannot be negative."))
        # adjusted() is the position of the leading digit: no huge int is ever built.
        if value >= 1 and value.adjusted() + 1 > AMOUNT_INTEGER_DIGITS:
            raise ValidationError(
                _l("The amount is too large: at most %(n)d digits before the decimal point.",
                   n=AMOUNT_INTEGER_DIGITS)
            )
        if value != value.quantize(CENT):
            raise ValidationError(_l("Use at most two decimal places."))


def _with_any(kind: str, any_label: Any) -> list[tuple[str, str]]:
    return [("", str(any_label)), *i18n.choices(kind)]


class QueueFilterForm(FlaskForm):
    """A GET form: bookmarkable, no state change, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False, validators=[ListedChoice()])
    dispute_type = SelectField(
        _l("Dispute type"), validate_choice=False, validators=[ListedChoice()]
    )
    jurisdiction = SelectField(
        _l("Jurisdiction"), validate_choice=False, validators=[ListedChoice()]
    )
    industry = SelectField(_l("Industry"), validate_choice=False, validators=[ListedChoice()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            ("", str(_l("All open cases"))),
            *[(code, i18n.code_name("status", code)) for code in OPEN_STATUSES],
            ("closed", i18n.code_name("status", "closed")),
        ]
        self.dispute_type.choices = _with_any("dispute_type", _l("Any dispute type"))
        self.jurisdiction.choices = _with_any("jurisdiction", _l("Any jurisdiction"))
        self.industry.choices = _with_any("industry", _l("Any industry"))

    def clean(self, name: str) -> str:
        """A filter's value, or "" when it was not valid (the error shows next to it)."""
        field = self[name]
        return "" if field.errors else (field.data or "")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validate_choice=False, validators=[ListedChoice()])
    case = StrippedStringField(
        _l("Case number"),
        validators=[
            Optional(),
            Regexp(r"^[0-9]{1,9}$", message=_l("Enter the case number in digits, e.g. 42.")),
        ],
        description=_l("The number in the case page's address."),
    )


class ProposeForm(FlaskForm):
    """Propose the experts ticked in the ranking; ``top`` re-creates the ranking shown."""

    experts = MultiCheckboxField(
        _l("Experts to propose"), coerce=int, validate_choice=False,
        validators=[ListedChoice(_l("One of the selected experts does not exist any more."))],
    )
    note = StrippedTextAreaField(
        _l("Note to the experts (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX), NoNul()],
    )
    top = HiddenField()

    def validate_experts(self, field: Any) -> None:
        if not field.data:
            raise ValidationError(_l("Select at least one expert to propose."))


class MessageForm(FlaskForm):
    body = StrippedTextAreaField(
        _l("Message to the enterprise"),
        validators=[
            DataRequired(message=_l("Write a message before sending it.")),
            Length(max=MAX_MESSAGE),
            NoNul(),
        ],
    )


class CaseVersionForm(FlaskForm):
    """A status step on the case; ``version`` is the case as the coordinator saw it."""

    version = HiddenField()

    def seen_version(self) -> int | None:
        value = (self.version.data or "").strip()
        return int(value) if value.isdigit() else None


class CloseForm(CaseVersionForm):
    outcome = SelectField(
        _l("Outcome"),
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose the outcome.")), ListedChoice()],
    )
    amount_recovered = StrippedStringField(
        _l("Amount recovered (optional)"),
        validators=[Optional(), Length(max=40), NoNul(), AmountRecovered()],
        description=_l("In the case's currency; leave empty if nothing was recovered."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", str(_l("Choose…"))), *i18n.choices("outcome")]

    def amount(self) -> Decimal | None:
        """The validated amount (call after :meth:`validate`)."""
        value = parse_amount(self.amount_recovered.data)
        return None if value is None else value.quantize(CENT)
