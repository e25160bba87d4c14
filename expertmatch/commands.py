"""Flask commands: `flask --app wsgi <command>`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from expertmatch.extensions import db
from expertmatch.models import ROLES, Centre


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", "display_name", default=None, help="Display name (default: the email).")
@click.option("--centre", "centre_code", default=None, help="Centre code, for coordinators.")
@click.password_option()
def create_user_command(
    email: str, role: str, display_name: str | None, centre_code: str | None, password: str
) -> None:
    """Create a coordinator, network or admin account (or any role)."""
    from expertmatch.services import accounts

    centre_id = None
    if centre_code:
        centre = db.session.scalar(db.select(Centre).where(Centre.code == centre_code))
        if centre is None:
            raise click.UsageError(f"No centre with code {centre_code!r}.")
        centre_id = centre.id
    elif role == "coordinator":
        raise click.UsageError("A coordinator belongs to a centre: pass --centre CODE.")
    try:
        user = accounts.create_user(
            email, password, display_name or email, role, centre_id=centre_id
        )
        db.session.commit()
    except accounts.AccountError as error:
        db.session.rollback()
        raise click.UsageError(error.message) from None
    click.echo(f"Created {user.role} {user.email}.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo data from data/demo (idempotent)."""
    from expertmatch.services import demo

    summary = demo.seed()
    for name, count in summary.items():
        click.echo(f"{name}: {count}")


@click.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print one demo account per role."""
    from expertmatch.services import demo

    click.echo(f"Demo accounts (password for all: {demo.DEMO_PASSWORD}):")
    for role, email, _password in demo.demo_logins():
        click.echo(f"  {role:<12} {email}")
    click.echo("Open http://127.0.0.1:5000/ and sign in.")


@click.command("reindex")
@with_appcontext
@click.option("--prune", is_flag=True, help="Also delete vectors made by other models.")
@click.option("--queue", "queued", is_flag=True,
              help="Run as a background job on the workers (see the jobs page) instead.")
def reindex_command(prune: bool, queued: bool) -> None:
    """Encode every expert text that has no vector for the configured model."""
    from expertmatch.matching import ModelUnavailable
    from expertmatch.services import matching

    if queued:
        from expertmatch.services import jobs

        job = jobs.start("reindex", {"prune": prune})
        click.echo(f"Reindex job {job.id} queued; follow it on the jobs page (/jobs/{job.id}).")
        return
    try:
        result = matching.reindex(progress=True, prune=prune)
    except ModelUnavailable as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{result['experts']} experts indexed with {matching.state().model_name}; "
        f"{result['encoded']} texts encoded, {result['pruned']} old vectors pruned."
    )


@click.command("export")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path: str) -> None:
    """Write a JSON backup of all data to PATH."""
    import os
    import tempfile

    from expertmatch.services import backup

    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, delete=False, suffix=".tmp"
    ) as handle:
        counts = backup.export_data(handle)
    os.replace(handle.name, path)
    click.echo(f"Wrote {sum(counts.values())} rows from {len(counts)} tables to {path}.")


@click.command("import")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Restore a JSON backup into an empty database (after `flask db upgrade`)."""
    from expertmatch.services import backup

    try:
        with open(path, encoding="utf-8") as handle:
            counts = backup.import_data(handle)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {sum(counts.values())} rows into {len(counts)} tables.")


@click.command("export-intake-corrections")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_intake_corrections_command(path: str) -> None:
    """Write the intake reader's confirmed and corrected cases to PATH as training examples
    (JSON Lines; `expertmatch read/rank --corrections PATH` trains on them)."""
    import json

    from expertmatch.matching.jsonl import atomic_writer
    from expertmatch.services import intake

    rows = intake.export_corrections()
    with atomic_writer(path) as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(f"Wrote {len(rows)} corrected or confirmed cases to {path}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_logins_command)
    app.cli.add_command(reindex_command)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(export_intake_corrections_command)
