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
@click.option("--phone", default=None, help="The office's phone for customers (slip, status page).")
@click.option("--address", default=None, help="The office's address for customers, at most 300 characters.")
def offices_create(code: str, name: str, timezone: str, phone: str | None, address: str | None) -> None:
    from .admin.operations import create_office

    try:
        office = create_office(code, name, timezone, phone=phone, address=address)
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
@click.option("--days", type=click.IntRange(min=1, max=3650), default=None,
              help="How many days the token works (default: API_TOKEN_DAYS, 90).")
def users_token(email: str, days: int | None) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is kept)."""
    from .admin.operations import user_by_email
    from .auth.tokens import issue_token

    try:
        user = user_by_email(email)
    except DomainError as exc:
        _fail(exc)
    token = issue_token(user, clock.now(), days)
    db.session.commit()
    click.echo(token)


@users_cli.command("revoke-tokens")
@click.argument("email")
def users_revoke_tokens(email: str) -> None:
    """Revoke every API token of EMAIL."""
    from .admin.operations import revoke_user_tokens, user_by_email

    try:
        user = user_by_email(email)
    except DomainError as exc:
        _fail(exc)
    count = revoke_user_tokens(user)
    db.session.commit()
    click.echo(f"revoked {count} token(s) of {user.email}")


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


calendar_cli = AppGroup("calendar", help="The national calendar shared by every office.")


@calendar_cli.command("import-cn")
@click.argument("year", type=click.IntRange(1900, 9999))
def calendar_import_cn(year: int) -> None:
    """Fill the national calendar of YEAR (days off, make-up working days) from chinese-calendar."""
    from .errors import InvalidInput
    from .sla.national import import_year

    try:
        off, work = import_year(year)
    except InvalidInput as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"national calendar {year}: {off} days off, {work} make-up working days")


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
    """Serve the app for a demo; with SCHEDULER_EMBEDDED=1 the scheduler runs inside it.

    Without BASE_URL in the environment, links (the slip's, the emails') use this host and port."""
    import os

    from flask import current_app

    from .scheduler import build

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not os.environ.get("BASE_URL"):
        # The links on the slips and in the emails point where this demo serves, not at port 5000.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison, not a bind
        app.config["BASE_URL"] = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    click.echo(f"serving http://{host}:{port}; links on slips and in emails use BASE_URL={app.config['BASE_URL']}")
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
@click.option("--force", is_flag=True, help="Replace OUTPUT if it exists (never a backup with rows by one of "
              "an empty database).")
def backup_cmd(output: str | None, force: bool) -> None:
    """Write every table and the attachment files to OUTPUT (default instance/backups/complaints-<time>.jsonl.gz),
    readable by its owner only. An existing OUTPUT is replaced only with --force."""
    from pathlib import Path

    from flask import current_app

    from .backup import BackupError, dump

    now = clock.now()
    if output:
        path = Path(output)
    else:
        folder = Path(current_app.instance_path) / "backups"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # backups hold password hashes and phones
        path = folder / f"complaints-{now:%Y%m%d-%H%M%S}.jsonl.gz"
    try:
        summary = dump(path, now, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = summary.rows
    click.echo(f"backup written to {path}: {sum(rows.values())} rows in {len(rows)} tables, "
               f"{summary.files} attachment files ({summary.file_bytes} bytes)")
    if summary.external:
        click.echo(f"note: attachments are in S3 bucket {summary.external}, not in this backup: "
                   "back them up with the bucket's own versioning/replication")
    if summary.missing:
        click.echo(f"warning: {len(summary.missing)} attachment files were missing from storage and are not in "
                   "the backup (see `flask --app complaints files check`):", err=True)
        for key in summary.missing:
            click.echo(f"missing {key}", err=True)


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
def restore_cmd(backup_file: str) -> None:
    """Load BACKUP_FILE into this database and attachment storage, which must be migrated (db upgrade) and empty."""
    from pathlib import Path

    from .backup import BackupError, restore

    try:
        summary = restore(Path(backup_file))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    rows = summary.rows
    click.echo(f"restored {sum(rows.values())} rows in {len(rows)} tables and {summary.files} attachment files "
               f"from {backup_file}")
    if summary.external:
        click.echo(f"note: the attachment files were not in the backup; they are in S3 bucket {summary.external}: "
                   "restore them from the bucket's own versioning/replication")


files_cli = AppGroup("files", help="Attachment files in storage.")


@files_cli.command("check")
@click.option("--delete-orphans", is_flag=True, help="Delete stored files that no attachment names.")
@click.option("--min-age", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes: only orphans older than this are deleted (an upload stores its file before its commit).")
def files_check(delete_orphans: bool, min_age: int) -> None:
    """Compare storage with the attachment rows; exit 1 when a file is orphaned or missing."""
    from .files.operations import orphans
    from .files.storage import get_storage

    storage = get_storage()
    orphan_keys, missing = orphans(storage)
    click.echo(f"storage: {storage!r}")
    click.echo(f"{len(orphan_keys)} orphan files (stored, named by no attachment), "
               f"{len(missing)} missing files (named by an attachment, not stored)")
    for key in orphan_keys:
        click.echo(f"orphan {key}")
    for key in missing:
        click.echo(f"missing {key}")
    left = len(orphan_keys)
    if delete_orphans and orphan_keys:
        # Look again in a new transaction: a file whose upload committed since the first look is live now.
        db.session.rollback()
        again, _ = orphans(storage)
        from datetime import UTC, datetime, timedelta

        cutoff = datetime.now(UTC) - timedelta(minutes=min_age)
        doomed = sorted(k for k in set(orphan_keys) & set(again) if _modified_before(storage, k, cutoff))
        for key in sorted(set(orphan_keys) - set(doomed)):
            click.echo(f"kept {key} (written in the last {min_age} minutes, or named since)")
        for key in doomed:
            storage.delete(key)
        left -= len(doomed)
        click.echo(f"deleted {len(doomed)} orphan files")
    if left or missing:
        click.get_current_context().exit(1)


def _modified_before(storage, key: str, cutoff) -> bool:  # noqa: ANN001
    try:
        return storage.modified(key) < cutoff
    except FileNotFoundError:
        return False


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_cmd)
    app.cli.add_command(restore_cmd)
    app.cli.add_command(offices_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(workflow_cmd)
    app.cli.add_command(sla_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(scheduler_cmd)
    app.cli.add_command(serve_cmd)
    from .mail.catcher import mailcatcher_cmd  # the demo's mail catcher (needs the dev extra)
    app.cli.add_command(mailcatcher_cmd)


@click.command("workflow")
def workflow_cmd() -> None:
    """Print the workflow table (as in the README)."""
    from .workflow import markdown_table

    click.echo(markdown_table())
