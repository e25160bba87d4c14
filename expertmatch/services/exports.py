"""The dashboard's tables as CSV files, labelled in the reader's language.

A table is built from the same :class:`~expertmatch.services.reports.Dashboard` the page shows,
so an export holds exactly what its reader may see: a coordinator's file has only their centre's
cases (and cases referred to it). Headers and code names are translated; numbers stay plain
numbers (no grouping, no currency sign) so that spreadsheets can add them up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext

from expertmatch.i18n import code_name, current_locale
from expertmatch.services.reports import Dashboard

# One per table of the dashboard; the four with a chart share the chart's name.
DASHBOARD_TABLES = ("status", "dispute_type", "speed", "expert_load", "deadlines", "recovered")

# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection");
# tab and carriage return too, since some spreadsheets strip them before looking.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | Decimal | None


@dataclass(frozen=True)
class Table:
    """One dashboard table, ready to be written: translated headers and rows."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def safe_cell(value: Cell) -> str:
    """A cell as text that no spreadsheet will run: text starting like a formula gets a leading
    apostrophe. Numbers we computed are written as they are (a negative number is no formula,
    and quoting it would turn it into text)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads Chinese correctly only with it), CRLF lines."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in table.header])
    writer.writerows([safe_cell(c) for c in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def filename(name: str, today: date) -> str:
    """ASCII only, so every browser keeps it as given."""
    return f"expertmatch-{name.replace('_', '-')}-{today.isoformat()}.csv"


def dashboard_table(name: str, data: Dashboard) -> Table | None:
    """The dashboard's table ``name`` in the reader's language, or None for an unknown name."""
    if name == "status":
        return Table(name, (gettext("Status"), gettext("Cases")),
                     tuple((code_name("status", status), n) for status, n in data.by_status))
    if name == "dispute_type":
        return Table(
            name, (gettext("Dispute type"), gettext("Cases")),
            tuple((code_name("dispute_type", code) if code else gettext("Not given"), n)
                  for code, n in data.by_dispute_type),
        )
    if name == "speed":
        hours = data.median_hours_to_acceptance
        return Table(
            name, (gettext("Measure"), gettext("Value")),
            ((gettext("Median time (hours)"), None if hours is None else round(hours, 1)),
             (gettext("Cases measured"), data.accepted_cases)),
        )
    if name == "expert_load":
        return Table(
            name, (gettext("Expert"), gettext("Current cases"), gettext("Capacity")),
            tuple((row.name, row.load, row.capacity) for row in data.expert_load),
        )
    if name == "deadlines":
        return _deadlines(data)
    if name == "recovered":
        return Table(
            name, (gettext("Currency"), gettext("Amount recovered"), gettext("Closed cases")),
            tuple((row.currency or gettext("Not given"), row.amount, row.cases)
                  for row in data.recovered),
        )
    return None


def _deadlines(data: Dashboard) -> Table:
    header: Sequence[str] = (gettext("Reference"), gettext("Title"), gettext("Deadline"),
                             gettext("Days left (negative when late)"), gettext("Status"))
    if data.network_wide:
        header = (*header, gettext("Centre"))
    locale = current_locale()
    rows = []
    for row in data.deadlines:
        case = row.case
        cells: tuple[Cell, ...] = (case.reference or f"#{case.id}", case.title,
                                   case.deadline.isoformat() if case.deadline else None,
                                   row.days_left, code_name("status", case.status))
        if data.network_wide:
            cells = (*cells, case.centre.name(locale) if case.centre else None)
        rows.append(cells)
    return Table("deadlines", tuple(header), tuple(rows))
