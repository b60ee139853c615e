"""Command line: flask --app complaints ..."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from . import clock
from .errors import DomainError
from .extensions import db

offices_cli = AppGroup("offices", help="Manage offices.")
users_cli = AppGroup("users", help="Manage users and API tokens.")


def _fail(exc: DomainError) -> None:
    db.session.rollback()
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {detail}".strip())


@offices_cli.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
def offices_create(code: str, name: str, timezone: str) -> None:
    from .admin.operations import create_office

    try:
        office = create_office(code, name, timezone)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created office {office.code}")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.option("--office", "offices", multiple=True, help="Office code; repeat for several.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default=None, help="Display name (default: the part before @).")
def users_create(email: str, role: str, offices: tuple[str, ...], password: str,
                 name: str | None) -> None:
    from .admin.operations import create_user

    try:
        user = create_user(email, name or email.split("@")[0], role, list(offices), password)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}")


@users_cli.command("token")
@click.argument("email")
def users_token(email: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is kept)."""
    from .admin.operations import user_by_email
    from .auth.tokens import issue_token

    try:
        user = user_by_email(email)
    except DomainError as exc:
        _fail(exc)
    token = issue_token(user, clock.now())
    db.session.commit()
    click.echo(token)


@click.command("seed-demo")
@click.option("--tickets", default=200, show_default=True, help="How many tickets to make.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
def seed_demo(tickets: int, seed: int) -> None:
    """Load demo offices, users and tickets (skipped when offices exist); refused in production."""
    from .auth.passwords import refused_in_this_configuration
    from .demo import seed_demo_data

    if refused_in_this_configuration():
        raise click.ClickException("seed-demo is refused in production: its accounts share a published password")

    report = seed_demo_data(tickets=tickets, seed=seed, now=clock.now())
    db.session.commit()
    click.echo(report)


sla_cli = AppGroup("sla", help="SLA clocks and reminders.")


@sla_cli.command("scan")
def sla_scan() -> None:
    """One pass: decide the reminders that are due, queue digests, deliver the outbox (for cron)."""
    from flask import current_app

    from .scheduler import run_pass

    result = run_pass(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(" ".join(f"{k}={v}" for k, v in result.items()))


@click.command("scheduler")
def scheduler_cmd() -> None:
    """Run the periodic jobs (SLA scan, mail delivery, digests) in this process until stopped."""
    from flask import current_app

    from .scheduler import JOBS, build

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo("scheduler: " + ", ".join(job.id for job in JOBS))
    try:
        build(app, background=False).start()
    except (KeyboardInterrupt, SystemExit):
        pass


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_cmd(host: str, port: int) -> None:
    """Serve the app for a demo; with SCHEDULER_EMBEDDED=1 the scheduler runs inside it."""
    from flask import current_app

    from .scheduler import build

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = None
    if app.config.get("SCHEDULER_EMBEDDED"):
        scheduler = build(app, background=True)
        scheduler.start()
        click.echo("scheduler embedded: SLA scan, mail delivery and digests run in this process")
    try:
        from werkzeug.serving import run_simple

        # run_simple, not app.run: Flask ignores app.run() inside a `flask` command.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@click.command("backup")
@click.argument("output", required=False, type=click.Path(dir_okay=False, writable=True))
def backup_cmd(output: str | None) -> None:
    """Write every table to OUTPUT (default instance/backups/complaints-<time>.jsonl.gz)."""
    from pathlib import Path

    from flask import current_app

    from .backup import dump

    now = clock.now()
    if output:
        path = Path(output)
    else:
        folder = Path(current_app.instance_path) / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"complaints-{now:%Y%m%d-%H%M%S}.jsonl.gz"
    counts = dump(path, now)
    click.echo(f"backup written to {path}: {sum(counts.values())} rows in {len(counts)} tables")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
def restore_cmd(backup_file: str) -> None:
    """Load BACKUP_FILE into this database, which must be migrated (db upgrade) and empty."""
    from pathlib import Path

    from .backup import BackupError, restore

    try:
        counts = restore(Path(backup_file))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {sum(counts.values())} rows in {len(counts)} tables from {backup_file}")


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_cmd)
    app.cli.add_command(restore_cmd)
    app.cli.add_command(offices_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(workflow_cmd)
    app.cli.add_command(sla_cli)
    app.cli.add_command(scheduler_cmd)
    app.cli.add_command(serve_cmd)


@click.command("workflow")
def workflow_cmd() -> None:
    """Print the workflow table (as in the README)."""
    from .workflow import markdown_table

    click.echo(markdown_table())
