"""Forms of the API credential pages: a personal token, a platform key."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, Length

from expertmatch.forms import MultiCheckboxField, NoNul, StrippedStringField
from expertmatch.services.credentials import SCOPES


class TokenForm(FlaskForm):
    name = StrippedStringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the key a name, e.g. the platform it is for.")),
                    Length(max=120), NoNul()],
        description=_l("What it is for, so you can tell your keys apart."),
    )
    scopes = MultiCheckboxField(
        _l("Permissions"),
        validators=[InputRequired(_l("Choose at least one permission."))],
    )

    def offer(self, scopes: tuple[str, ...]) -> None:
        self.scopes.choices = [(s, f"{s} · {SCOPES[s]}") for s in scopes]


class PlatformKeyForm(TokenForm):
    centre_id = SelectField(
        _l("Centre"), coerce=int,
        validators=[InputRequired(_l("Choose the centre the platform works for."))],
        description=_l("The platform acts as a coordinator of this centre: it sees only "
                       "this centre's cases."),
    )

    def offer_centres(self, centres: list, locale: str) -> None:  # type: ignore[type-arg]
        self.centre_id.choices = [(0, _("Choose…"))] + [
            (c.id, f"{c.code} · {c.name_zh if locale == 'zh' else c.name_en}") for c in centres
        ]
