"""Forms of the plans pages: a batch of cases, a team's requirements, adjusting a row."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from expertmatch import i18n
from expertmatch.experts.forms import SmallIntegerField
from expertmatch.forms import MultiCheckboxField
from expertmatch.matching.team import TeamRole
from expertmatch.plans.vocabulary import TEAM_ROLES
from expertmatch.services.plans import MAX_PER_CASE

PER_CASE_MESSAGE = _l("Give a number from 1 to %(n)d.", n=MAX_PER_CASE)


class BatchPlanForm(FlaskForm):
    cases = MultiCheckboxField(
        _l("Cases to plan"),
        coerce=int,
        validators=[DataRequired(message=_l("Select at least one case."))],
    )
    mode = RadioField(
        _l("Optimise for"),
        choices=[
            ("total", _l("The best total fit over all cases")),
            ("fair", _l("The worst-served case first, then the total")),
        ],
        default="total",
    )
    per_case = SmallIntegerField(
        _l("Experts per case"),
        default=1,
        validators=[
            DataRequired(message=PER_CASE_MESSAGE),
            NumberRange(1, MAX_PER_CASE, message=PER_CASE_MESSAGE),
        ],
    )
    firm_limit = SmallIntegerField(
        _l("Firm limit"),
        description=_l("At most this many assignments of the plan per firm; empty for no limit."),
        validators=[Optional(), NumberRange(1, 50, message=_l("Give a number from 1 to 50."))],
    )


class RequirementForm(Form):
    """One row of a team's requirements; a row without a role is ignored."""

    role = SelectField(_l("Role"), default="")
    jurisdiction = SelectField(_l("Admitted in"), default="")
    language = SelectField(_l("Speaking"), default="")
    count = SmallIntegerField(
        _l("How many"),
        default=1,
        validators=[Optional(), NumberRange(1, 5, message=_l("Give a number from 1 to 5."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_choice = [("", str(_l("Any")))]
        self.role.choices = [("", str(_l("(not needed)")))] + [
            (code, str(label)) for code, label in TEAM_ROLES.items()
        ]
        self.jurisdiction.choices = any_choice + i18n.choices("jurisdiction")
        self.language.choices = any_choice + i18n.choices("language")


class TeamForm(FlaskForm):
    requirements = FieldList(FormField(RequirementForm), min_entries=5, max_entries=8)
    budget = SmallIntegerField(
        _l("Daily budget (CNY)"),
        description=_l("The team's combined daily rates; empty for no budget."),
        validators=[
            Optional(),
            NumberRange(1, 999_999, message=_l("Give an amount from 1 to 999,999 CNY.")),
        ],
    )
    firm_limit = SmallIntegerField(
        _l("Firm limit"),
        description=_l("At most this many members from one firm; empty for no limit."),
        validators=[Optional(), NumberRange(1, 20, message=_l("Give a number from 1 to 20."))],
    )

    def roles(self) -> list[TeamRole]:
        return [
            TeamRole(
                role=row.role.data,
                jurisdiction=row.jurisdiction.data or None,
                language=row.language.data or None,
                count=row.count.data or 1,
            )
            for row in self.requirements
            if row.role.data
        ]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not self.roles():
            self.requirements.errors.append(str(_l("Choose the role of at least one member.")))
            return False
        return ok


class AdjustForm(FlaskForm):
    expert = SelectField(_l("Expert"), coerce=str)
