"""Form pieces shared by every blueprint."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class EmptyForm(FlaskForm):
    """A POST-only button still carries a CSRF token."""


class NoNul:
    """Refuse control characters that no human types (NUL and friends)."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or _l("This field contains characters that are not allowed.")

    def __call__(self, form: FlaskForm, field: Any) -> None:
        data = field.data
        values = data if isinstance(data, list) else [data]
        for value in values:
            if isinstance(value, str) and any(
                (ord(ch) < 32 and ch not in "\t\n\r") or ch == "\x7f" for ch in value
            ):
                raise ValidationError(self.message)


class StrippedStringField(StringField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()


class StrippedTextAreaField(TextAreaField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip()


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes: keyboard- and screen-reader-friendly multiple choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
