"""The intake form and the message form of the enterprise.

The intake form checks what each field can check alone (lengths, formats, choices); the rules
that depend on the action (a draft needs only a title, a submission much more) or on several
fields (SEP details, consents, dates and the computed deadline) live in
:func:`expertmatch.services.cases.problems`, which the form runs and shows next to the fields,
and which the service runs again before it writes.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SubmitField,
)
from wtforms.validators import Email, Length, NumberRange, Optional, Regexp, StopValidation

from expertmatch import i18n, vocabulary
from expertmatch.forms import MultiCheckboxField, NoNul, StrippedStringField, StrippedTextAreaField
from expertmatch.services import cases, intake
from expertmatch.services.cases import CaseData, CounterpartyData

DATE_MESSAGE = _l("Enter a real date, as year-month-day (for example 2026-03-31).")


def _max(length: int) -> Length:
    return Length(max=length, message=_l("Use at most %(max)d characters."))


class StrippedEmailField(EmailField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()


class AmountField(DecimalField):
    """An amount in figures; thousands separators are accepted ("1,200,000")."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        raw = str(valuelist[0]).strip().replace(",", "").replace(" ", "").replace("_", "")
        try:
            self.data = Decimal(raw)
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(_("Enter the amount in figures, for example 1200000.")) from None


def finite_amount(form: FlaskForm, field: AmountField) -> None:
    """NaN and Infinity parse as decimals but are not amounts (and break comparisons); text
    that did not parse already has its message, so the range check is skipped."""
    if field.process_errors:
        raise StopValidation()
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("Enter the amount in figures, for example 1200000."))


def _text(label: Any, max_length: int, **kwargs: Any) -> StrippedStringField:
    return StrippedStringField(
        label, validators=[Optional(), _max(max_length), NoNul()], **kwargs
    )


def _date(label: Any, **kwargs: Any) -> DateField:
    return DateField(label, validators=[Optional()], invalid_value_message=DATE_MESSAGE, **kwargs)


class CounterpartyForm(Form):
    """One row of the counterparties list (a sub-form: the CSRF token is on the page form)."""

    name_en = _text(_l("Name in English"), 300)
    name_zh = _text(_l("Name in Chinese"), 300)
    counsel = _text(_l("Their counsel (law firm)"), 300)


class CaseForm(FlaskForm):
    # Organisation and contact
    contact_name = _text(_l("Contact person"), 120)
    contact_email = StrippedEmailField(
        _l("Contact email"),
        validators=[
            Optional(),
            _max(254),
            Email(message=_l("Enter a valid email address."), check_deliverability=False),
        ],
    )
    contact_phone = StrippedStringField(
        _l("Contact phone"),
        validators=[
            Optional(),
            _max(40),
            Regexp(
                r"^\+?[0-9][0-9 ()./-]{3,39}$",
                message=_l("Enter a phone number: digits, spaces and + ( ) - only."),
            ),
        ],
    )
    # The dispute
    title = StrippedStringField(
        _l("Short title"),
        validators=[_max(300), NoNul()],
        description=_l("For example: LTE patent suit in Munich against our phones."),
    )
    our_role = SelectField(_l("Our role"), validators=[Optional()])
    dispute_type = SelectField(_l("Type of dispute"), validators=[Optional()])
    industry = SelectField(_l("Industry"), validators=[Optional()])
    goal = SelectField(_l("What you want to achieve"), validators=[Optional()])
    # Where
    jurisdictions = MultiCheckboxField(_l("Jurisdictions"))
    forum = _text(
        _l("Court, office, customs authority or platform"),
        300,
        description=_l(
            "As precisely as you can, e.g. Regional Court Munich I; EUIPO Opposition Division; "
            "Dutch Customs, Port of Rotterdam; U.S. District Court, N.D. Illinois (Schedule A)."
        ),
    )
    docket_number = _text(_l("Docket or case number"), 120)
    # For SEP cases
    sep_standard = SelectField(_l("Standard involved"), validators=[Optional()])
    negotiation_stage = SelectField(_l("Stage of the licence negotiation"), validators=[Optional()])
    # Counterparties
    counterparties = FieldList(
        FormField(CounterpartyForm), min_entries=1, max_entries=cases.MAX_COUNTERPARTIES
    )
    # What happened
    description = StrippedTextAreaField(
        _l("What happened"),
        validators=[Optional(), _max(cases.MAX_DESCRIPTION), NoNul()],
        description=_l(
            "In Chinese or English: what you received, from whom, what is claimed, what is at "
            "risk (at most 10,000 characters)."
        ),
    )
    languages = MultiCheckboxField(_l("Languages of the proceedings and your team"))
    # Dates and deadline
    service_date = _date(
        _l("Date of service"),
        description=_l("When the complaint, notice or detention notification reached you."),
    )
    tro_date = _date(_l("Date of the TRO or asset freeze"))
    hearing_date = _date(_l("Hearing date"), description=_l("May be in the future."))
    deadline_override = _date(
        _l("Your actual deadline"),
        description=_l(
            "Leave empty to use the deadline computed from the forum's rules. Fill it in if the "
            "court or office set another date."
        ),
    )
    # Amount at stake
    amount = AmountField(
        _l("Amount at stake"),
        places=2,
        validators=[
            Optional(),
            finite_amount,
            NumberRange(
                min=0,
                max=cases.MAX_AMOUNT,
                message=_l("Enter an amount between 0 and 9,999,999,999,999,999."),
            ),
        ],
    )
    currency = SelectField(_l("Currency"), validators=[Optional()])
    # Confidentiality and consent
    confidentiality = RadioField(
        _l("Confidentiality"),
        default="confidential",
        validate_choice=False,  # the service checks the code; a missing choice stays confidential
        description=_l(
            "Confidential: experts see only a summary without your description until one "
            "accepts the case. Trade-secret cases should stay confidential."
        ),
    )
    consent_share = BooleanField(
        _l("I agree that the centre shares this case with candidate experts.")
    )
    consent_conflict_check = BooleanField(
        _l("I agree that the names of the parties are used to check experts for conflicts.")
    )
    # Buttons
    save_draft = SubmitField(_l("Save draft"))
    submit_case = SubmitField(_l("Submit the case"))
    add_counterparty = SubmitField(_l("Add another counterparty"))
    # The intake reader (issue 16): "Suggest" re-renders the form with what was read from the
    # title and description; `suggested` lists the fields it pre-filled, so that saving records
    # whether the enterprise kept or changed each of them.
    suggest = SubmitField(_l("Suggest from my description"))
    suggested = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _("Choose…"))]
        self.our_role.choices = blank + i18n.choices("our_role")
        self.dispute_type.choices = blank + i18n.choices("dispute_type")
        self.industry.choices = blank + i18n.choices("industry")
        self.goal.choices = blank + i18n.choices("goal")
        self.sep_standard.choices = blank + i18n.choices("sep_standard")
        self.negotiation_stage.choices = blank + i18n.choices("negotiation_stage")
        self.jurisdictions.choices = i18n.choices("jurisdiction")
        self.languages.choices = i18n.choices("language")
        self.currency.choices = blank + [
            (code, f"{code} · {get_currency_name(code, locale=i18n.current_locale())}")
            for code in vocabulary.CURRENCIES
        ]
        self.confidentiality.choices = i18n.choices("confidentiality")
        # Marked (*) as needed to submit; the check itself is in services.cases.problems.
        for name in (*cases.REQUIRED_TO_SUBMIT, "title", "consent_share", "consent_conflict_check"):
            self[name].flags.required = True

    @property
    def action(self) -> str:
        """Which button was pressed: ``add_counterparty``, ``suggest``, ``submit`` or ``draft``."""
        if self.add_counterparty.data:
            return "add_counterparty"
        if self.suggest.data:
            return "suggest"
        return "submit" if self.submit_case.data else "draft"

    def add_row(self) -> bool:
        if len(self.counterparties.entries) >= cases.MAX_COUNTERPARTIES:
            self.form_errors.append(
                _("At most %(n)d counterparties.", n=cases.MAX_COUNTERPARTIES)
            )
            return False
        self.counterparties.append_entry()
        return True

    @property
    def offered_fields(self) -> list[str]:
        """The fields the form pre-filled from the reader's suggestions."""
        return [f for f in (self.suggested.data or "").split(",") if f in intake.FORM_FIELDS]

    def apply_suggestions(self, found: dict[str, list[Any]]) -> list[str]:
        """Pre-fill the *empty* fields with the suggestions; never overwrite a choice."""
        filled = set(self.offered_fields)
        for name, values in found.items():
            field = self[name]
            many = intake.FORM_FIELDS[name][1]
            if field.data and name not in filled:
                continue  # the enterprise chose this itself
            if many:
                known = {code for code, _label in field.choices}
                field.data = [v.value for v in values if v.value in known]
            else:
                field.data = values[0].value
            filled.add(name)
        self.suggested.data = ",".join(sorted(filled))
        return sorted(filled)

    def to_data(self) -> CaseData:
        return CaseData(
            title=self.title.data or "",
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            contact_phone=self.contact_phone.data,
            our_role=self.our_role.data or None,
            dispute_type=self.dispute_type.data or None,
            jurisdictions=list(self.jurisdictions.data or []),
            forum=self.forum.data,
            docket_number=self.docket_number.data,
            sep_standard=self.sep_standard.data or None,
            negotiation_stage=self.negotiation_stage.data or None,
            counterparties=[
                CounterpartyData(
                    entry.form.name_en.data, entry.form.name_zh.data, entry.form.counsel.data
                )
                for entry in self.counterparties.entries
            ],
            industry=self.industry.data or None,
            description=self.description.data or "",
            languages=list(self.languages.data or []),
            amount=self.amount.data,
            currency=self.currency.data or None,
            goal=self.goal.data or None,
            service_date=self.service_date.data,
            tro_date=self.tro_date.data,
            hearing_date=self.hearing_date.data,
            deadline_override=self.deadline_override.data,
            confidentiality=self.confidentiality.data or "confidential",
            consent_share=bool(self.consent_share.data),
            consent_conflict_check=bool(self.consent_conflict_check.data),
        )

    def validate_for(self, submitting: bool) -> bool:
        """The field checks, then the draft or submission rules of the service."""
        valid = self.validate()
        found = cases.problems(self.to_data(), submitting=submitting)
        self.attach(found)
        return valid and not found

    def _fields_by_name(self) -> dict[str, Any]:
        named = {f.name: f for f in self if f.type not in ("FieldList",)}
        for entry in self.counterparties.entries:
            for sub in entry.form:
                named[sub.name] = sub
        return named

    def attach(self, problems: dict[str, list[str]]) -> None:
        """Show the service's problems next to their fields (a field that already shows a
        message from its own validators keeps only that one)."""
        named = self._fields_by_name()
        already = {name for name, f in named.items() if f.errors}
        for name, messages in problems.items():
            target = named.get(name)
            if target is None:
                self.form_errors.extend(messages)
            elif name not in already:
                target.errors = [*target.errors, *messages]
        entry_errors = [entry.errors for entry in self.counterparties.entries]
        self.counterparties.errors = entry_errors if any(entry_errors) else []


class MessageForm(FlaskForm):
    body = StrippedTextAreaField(
        _l("Your message to the centre"),
        validators=[_max(cases.MAX_MESSAGE), NoNul()],
    )

    def validate_body(self, field: Any) -> None:
        from wtforms.validators import ValidationError

        if not (field.data or "").strip():
            raise ValidationError(_("Write a message first."))
