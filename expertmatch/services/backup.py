"""JSON backup of all data, and restore into an empty database.

The format is one JSON object: ``{"format": "expertmatch-backup", "version": 1,
"revision": <alembic revision>, "tables": {name: [row, ...]}}``. Values are
JSON-safe: datetimes and dates as ISO strings, decimals as strings, bytes
(vectors) as base64. Restore refuses a non-empty database and a backup made at
another schema revision, and writes everything in one transaction.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import Integer, Table, func, select, text
from sqlalchemy.types import Date, DateTime, LargeBinary, Numeric

from expertmatch.extensions import db

FORMAT = "expertmatch-backup"
VERSION = 1


class BackupError(ValueError):
    """The backup cannot be restored here; the message says why."""


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Numeric):
        return Decimal(value)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value)
    return value


def current_revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database made by create_all has no version table
        db.session.rollback()
        return None


def export_data(out: IO[str]) -> dict[str, int]:
    """Write every table's rows, ordered by primary key; returns rows per table."""
    counts: dict[str, int] = {}
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in _tables():
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        tables[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
        counts[table.name] = len(tables[table.name])
    json.dump(
        {"format": FORMAT, "version": VERSION, "revision": current_revision(), "tables": tables},
        out,
        ensure_ascii=False,
    )
    return counts


def import_data(source: IO[str]) -> dict[str, int]:
    """Restore a backup into an empty database, all or nothing."""
    try:
        payload = json.load(source)
    except ValueError as error:
        raise BackupError(f"The file is not valid JSON: {error}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise BackupError("This file is not an ExpertMatch backup.")
    if payload.get("version") != VERSION:
        raise BackupError(f"Backup format version {payload.get('version')} is not supported.")
    here = current_revision()
    if payload.get("revision") and here and payload["revision"] != here:
        raise BackupError(
            f"The backup was made at schema revision {payload['revision']}, this database is at "
            f"{here}. Upgrade or downgrade first (flask db upgrade {payload['revision']})."
        )
    for table in _tables():
        if db.session.scalar(select(func.count()).select_from(table)):
            raise BackupError(f"The database is not empty (table {table.name} has rows).")
    counts: dict[str, int] = {}
    try:
        for table in _tables():
            rows = payload["tables"].get(table.name, [])
            self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            decoded = [
                {c.name: _decode(c, row.get(c.name)) for c in table.columns if c.name in row}
                for row in rows
            ]
            if decoded:
                first = [{**r, **dict.fromkeys(self_refs)} for r in decoded]
                db.session.execute(table.insert(), first)
                for column in self_refs:
                    for r in decoded:
                        if r.get(column) is not None:
                            pk = {c.name: r[c.name] for c in table.primary_key.columns}
                            db.session.execute(
                                table.update().filter_by(**pk).values({column: r[column]})
                            )
            counts[table.name] = len(decoded)
        _reset_sequences()
        db.session.commit()
    except (KeyError, TypeError, ValueError) as error:
        db.session.rollback()
        raise BackupError(f"The backup is damaged: {error}") from None
    except Exception:
        db.session.rollback()
        raise
    return counts


def _reset_sequences() -> None:
    """PostgreSQL's id sequences must continue after the restored ids."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer):
            # Table and column names come from our own metadata, never from input.
            sql = (
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "  # noqa: S608
                f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"
            )
            db.session.execute(text(sql))
