"""The ``respira`` command: serve the web app, migrate the database, manage accounts,
verify the audit trail, and the batch tools of the clinical science."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from respira.app import steps
from respira.kit.config import get_settings
from respira.kit.db import Database

app = typer.Typer(
    help="Respira: runs the clinic's MSC programme for asthma, from consultation request "
    "to outcome report.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(
    help="Create, upgrade or downgrade the database schema (Alembic).", no_args_is_help=True
)
users_app = typer.Typer(help="Create and list user accounts.", no_args_is_help=True)
audit_app = typer.Typer(
    help="Check, anchor and re-key the keyed audit chain.", no_args_is_help=True
)
demo_app = typer.Typer(help="A demo clinic with synthetic patients.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
jobs_app = typer.Typer(
    help="The periodic jobs: sending mail, follow-up reminders.", no_args_is_help=True
)
app.add_typer(demo_app, name="demo")
app.add_typer(jobs_app, name="jobs")
# Only the manifests here (cheap): the steps' tables are loaded by the commands that
# open the database, so `respira --help` and the batch commands start quickly.
for _step in steps.manifests():
    for _name, _ref in _step.cli.items():
        app.add_typer(_step.resolve(_ref), name=_name)

console = Console()
err = Console(stderr=True)


def _database() -> Database:
    steps.load()  # every step's tables mapped, the signature's password check installed
    return Database(get_settings().database_url)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    demo: bool = typer.Option(
        False, "--demo", help="Seed a demo clinic first (once), and print its accounts' passwords."
    ),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes."),
    jobs: bool = typer.Option(
        True, "--jobs/--no-jobs", help="Also run the periodic jobs (mail, reminders)."
    ),
) -> None:
    """Serve the web app and the JSON API (upgrading the database first if needed)."""
    import multiprocessing

    from respira.app import jobs as jobs_module
    from respira.app import migrate as db
    from respira.app import server

    url = get_settings().database_url
    if db.current_revision(url) != db.head_revision():
        console.print("Upgrading the database schema …")
        db.upgrade(url)
    if demo:
        _seed_demo()
    console.print(f"Respira is serving at http://{host}:{port}/")
    runner = None
    if jobs:
        runner = multiprocessing.get_context("spawn").Process(
            target=jobs_module.process_main, name="respira-jobs", daemon=True
        )
        runner.start()
    try:
        server.run(
            host,
            port,
            workers,
            proxy_headers=get_settings().trusted_proxies > 0,
            log_level=get_settings().log_level.lower(),
        )
    finally:
        if runner is not None:
            runner.terminate()
            runner.join(timeout=10)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create the database or upgrade it to the newest (or the given) revision."""
    from respira.app import migrate as db

    url = get_settings().database_url
    db.upgrade(url, revision)
    console.print(f"Database at revision {db.current_revision(url)}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. 0001 or base."),
) -> None:
    """Downgrade the database schema to REV (data in dropped tables is lost)."""
    from respira.app import migrate as db

    url = get_settings().database_url
    db.downgrade(url, revision)
    console.print(f"Database at revision {db.current_revision(url) or 'base'}.")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision and the newest one this version of Respira knows."""
    from respira.app import migrate as db

    console.print(
        f"current: {db.current_revision(get_settings().database_url) or 'base'}; "
        f"head: {db.head_revision()}"
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., "--email", help="Sign-in email address."),
    role: str = typer.Option(
        ..., "--role", help="admin, physician, nurse, coordinator, lab or patient."
    ),
    name: str = typer.Option(..., "--name", help="The person's full name."),
    patient: str | None = typer.Option(
        None, "--patient", help="For a patient account: the patient's record number."
    ),
    password_stdin: bool = typer.Option(
        False,
        "--password-stdin",
        help="Read the password from the first line of "
        "standard input instead of prompting (twice).",
    ),
) -> None:
    """Create an account. The password is prompted twice (never an argument)."""
    from respira.accounts import service
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    password = _read_password(password_stdin)
    database = _database()
    with database.transaction() as session:
        patient_id = None
        if patient:
            patient_id = service.patient_by_record_number(session, patient)
            if patient_id is None:
                err.print(f"error: no patient with record number {patient}")
                raise typer.Exit(2)
        try:
            user = service.create_user(
                session,
                Actor.system(),
                email=email,
                name=name,
                role=role,
                password=password,
                patient_id=patient_id,
            )
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                err.print(f"error: {field}: {message}")
            raise typer.Exit(2) from None
    console.print(f"Created {user.role} account {user.email} (id {user.id}).")


def _set_active(email: str, active: bool, reason: str, *, unlock: bool = False) -> None:
    from respira.accounts import service
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    database = _database()
    with database.transaction() as session:
        try:
            if unlock:
                user = service.unlock(session, Actor.system(), email, reason)
            else:
                user = service.set_active(session, Actor.system(), email, active, reason)
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                err.print(f"error: {field}: {message}")
            raise typer.Exit(2) from None
    if unlock:
        console.print(f"{user.email} is unlocked.")
    else:
        console.print(f"{user.email} is now {'active' if user.is_active else 'inactive'}.")


@users_app.command("deactivate")
def users_deactivate(
    email: str = typer.Argument(..., help="The account's email."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
) -> None:
    """Deactivate an account: it can no longer sign in, and its sessions and tokens stop
    working at once. What it recorded and signed stays."""
    _set_active(email, False, reason)


@users_app.command("activate")
def users_activate(
    email: str = typer.Argument(..., help="The account's email."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
) -> None:
    """Activate a deactivated account again."""
    _set_active(email, True, reason)


@users_app.command("unlock")
def users_unlock(
    email: str = typer.Argument(..., help="The account's email."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
) -> None:
    """Unlock an account locked after failed sign-ins, before its lockout runs out."""
    _set_active(email, True, reason, unlock=True)


@users_app.command("reset-password")
def users_reset_password(
    email: str = typer.Argument(..., help="The account's email."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
) -> None:
    """Email the person a one-time link for choosing a new password (the same link as
    "Forgot your password?"), through the outbox. The link is never printed: with no SMTP
    server set, the email waits in the outbox until one is."""
    from respira.accounts import reset
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    database = _database()
    with database.transaction() as session:
        try:
            sent = reset.send_link(session, Actor.system(), email, reason)
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                err.print(f"error: {field}: {message}")
            raise typer.Exit(2) from None
    minutes = get_settings().password_reset_ttl_s // 60
    console.print(
        f"A password-reset link for {sent.email} is in the outbox (message {sent.outbox_id}); "
        f"it works once, for {minutes} minutes."
    )


@users_app.command("reset-two-factor")
def users_reset_two_factor(
    email: str = typer.Argument(..., help="The account's email."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
) -> None:
    """Turn off someone's two-factor sign-in (a lost phone and no recovery code left),
    after identifying the person: the way back in when no administrator can sign in.
    Their sessions end; where their role requires it, they set it up again at their
    next sign-in. Audited with the reason."""
    from respira.accounts import service, two_factor
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    database = _database()
    with database.transaction() as session:
        try:
            user = service.get_user_by_email(session, email)
            two_factor.reset(session, Actor.system(), user.id, reason)
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                err.print(f"error: {field}: {message}")
            raise typer.Exit(2) from None
    console.print(f"Two-factor sign-in of {user.email} is off; their sessions have ended.")


@users_app.command("list")
def users_list() -> None:
    """List accounts with their role and status."""
    from respira.accounts import service

    database = _database()
    with database.transaction() as session:
        users = service.list_users(session)
    table = Table("id", "email", "name", "role", "status")
    for u in users:
        status = "inactive" if not u.is_active else "active"
        table.add_row(str(u.id), u.email, u.name, u.role, status)
    console.print(table)


@audit_app.command("verify")
def audit_verify(
    records: bool = typer.Option(
        False,
        "--records",
        help="Also compare every audited row (patients, users, clinical records) with its "
        "audit trail: finds rows edited, inserted or deleted behind the application.",
    ),
) -> None:
    """Check the audit trail: every record's HMAC under the audit key, the chain against
    the latest anchor (truncation, rewriting), an empty trail in a database with data,
    and with --records the rows themselves. Exit 0 when intact, 1 naming what is wrong."""
    from sqlalchemy import func, select

    from respira.kit import audit

    database = _database()
    session = database.session()
    try:
        total = session.scalar(select(func.count(audit.AuditRecord.id))) or 0
        if sys.stderr.isatty() and total > 50_000:
            with Progress(
                TextColumn("verifying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
            ) as progress:
                task = progress.add_task("verify", total=total)
                verdict = audit.verify(
                    session,
                    records=records,
                    progress=lambda n: progress.update(task, completed=n),
                )
        else:
            verdict = audit.verify(session, records=records)
    finally:
        session.close()
        database.dispose()
    for note in verdict.notes:
        err.print(f"note: {note}", soft_wrap=True)
    if verdict.ok:
        rows = f"; {verdict.rows.checked} rows match their trail" if verdict.rows else ""
        console.print(
            f"Audit trail intact: {verdict.chain.checked} records checked, head seq "
            f"{verdict.chain.head_seq}{rows}."
        )
        return
    err.print(f"Audit trail BROKEN ({len(verdict.problems)} problems):", soft_wrap=True)
    for problem in verdict.problems:
        err.print(f"  - {problem}", soft_wrap=True)
    raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor() -> None:
    """Append the chain's head to the anchor file now (the jobs process does it too)."""
    from respira.kit import audit

    database = _database()
    try:
        with database.transaction() as session:
            anchor = audit.write_anchor(session, note="operator")
    finally:
        database.dispose()
    if anchor is None:
        console.print("The audit trail is empty: nothing to anchor.")
        return
    console.print(f"Anchored seq {anchor.seq} hash {anchor.hash} in {audit.anchor_path()}.")


@audit_app.command("head")
def audit_head() -> None:
    """Print the chain's head (seq, hash, time) as one keyed line, for the operator to
    keep somewhere else than this machine (a printout, a ticket, a password manager)."""
    from respira.kit import audit
    from respira.kit.db import utcnow

    database = _database()
    try:
        with database.session() as session:
            seq, head_hash, first = audit.head(session)
    finally:
        database.dispose()
    if first is None:
        console.print("The audit trail is empty.")
        return
    anchor = audit.Anchor(seq, head_hash, first, utcnow().isoformat(), "head")
    key = audit.audit_key()
    console.print(f"seq {seq}\nhash {head_hash}\nkey id {audit.key_id(key)}")
    print(anchor.line(key))


@audit_app.command("rekey")
def audit_rekey() -> None:
    """Once, after upgrading from a Respira without keyed chains: re-chain the existing
    plain-SHA-256 trail under the audit key (refused unless that trail is intact and not
    keyed yet), audited, then anchor the head."""
    from respira.kit import audit
    from respira.kit.actors import Actor
    from respira.kit.errors import InvalidInput

    database = _database()
    try:
        with database.transaction() as session:
            try:
                n = audit.rekey(session, Actor.system("respira audit rekey"))
            except InvalidInput as exc:
                for message in exc.errors.values():
                    err.print(f"error: {message}", soft_wrap=True)
                raise typer.Exit(1) from None
        with database.transaction() as session:
            audit.write_anchor(session, note="rekey")
    finally:
        database.dispose()
    console.print(f"{n} records re-chained under the audit key; head anchored.")


@app.command()
def backup(
    out: str = typer.Option(..., "--out", help="The backup file to write (must not exist)."),
) -> None:
    """Back up the live database (SQLite online backup, or pg_dump custom format), with
    the audit chain's head beside it in OUT.anchor."""
    from pathlib import Path

    from respira.kit import audit
    from respira.kit import backup as backups

    database = _database()
    try:
        with database.transaction() as session:
            audit.write_anchor(session)
        result = backups.backup(database, Path(out))
    except backups.BackupError as exc:
        err.print(f"error: {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    head = f"head seq {result.anchor.seq}" if result.anchor else "empty audit trail"
    console.print(
        f"Backed up to {result.path} ({result.bytes / 1e6:.1f} MB, {head}) in "
        f"{result.seconds:.1f} s."
    )


@app.command()
def restore(
    source: str = typer.Argument(..., help="A file written by `respira backup`."),
) -> None:
    """Restore a backup into an EMPTY database (RESPIRA_DATABASE_URL: a new SQLite file,
    or a newly created PostgreSQL database), then verify its audit chain and anchor."""
    from pathlib import Path

    from respira.kit import backup as backups

    steps.load()
    try:
        result = backups.restore(get_settings().database_url, Path(source))
    except backups.BackupError as exc:
        err.print(f"error: {exc}", soft_wrap=True)
        raise typer.Exit(1) from None
    for note in result.notes + result.verdict.notes:
        err.print(f"note: {note}", soft_wrap=True)
    if not result.verdict.ok:
        err.print("Restored, but the audit trail is BROKEN:", soft_wrap=True)
        for problem in result.verdict.problems:
            err.print(f"  - {problem}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"Restored in {result.seconds:.1f} s; audit trail intact: "
        f"{result.verdict.chain.checked} records, head seq {result.verdict.chain.head_seq}."
    )


@jobs_app.command("once")
def jobs_once() -> None:
    """Run every periodic job one time (for cron) and say what each did."""
    from respira.app import jobs

    database = _database()
    try:
        done = jobs.run_once(database)
    finally:
        database.dispose()
    for name, n in done.items():
        console.print(f"{name}: {'FAILED (see the log)' if n < 0 else n}")
    if any(n < 0 for n in done.values()):
        raise typer.Exit(1)


@jobs_app.command("run")
def jobs_run() -> None:
    """Run the periodic jobs until stopped (for a deployment that serves with --no-jobs)."""
    from respira.app import jobs

    jobs.process_main()


def _seed_demo() -> None:
    from respira.app import demo

    database = _database()
    result = demo.seed(database)
    if result is None:
        console.print(
            "The demo clinic is already seeded (its passwords were printed when it was created)."
        )
        return
    console.print("[bold]Demo clinic seeded.[/bold] Accounts (shown once, write them down):")
    table = Table("role", "email", "password")
    for role, email, password in result.accounts:
        table.add_row(role, email, password)
    console.print(table)
    console.print(", ".join(f"{n} {what}" for what, n in result.counts.items()) + ".")


@demo_app.command("seed")
def demo_seed() -> None:
    """Seed the demo clinic (once): one account per role and about 50 synthetic patients."""
    from respira.app import migrate as db

    url = get_settings().database_url
    if db.current_revision(url) != db.head_revision():
        db.upgrade(url)
    _seed_demo()


@demo_app.command("registry")
def demo_registry(
    patients: int = typer.Option(..., "--patients", min=1, max=1_000_000, help="How many."),
    seed: int = typer.Option(1, "--seed", help="The random seed (the same seed, the same rows)."),
    today: str | None = typer.Option(
        None, "--today", help="The day the registry is as of (YYYY-MM-DD; the clinic's today)."
    ),
    years: float = typer.Option(
        6.0, "--years", min=0.1, max=30, help="Treatments over these years."
    ),
    force: bool = typer.Option(
        False, "--force", help="Add them to a database that already holds patients."
    ),
) -> None:
    """Fill the outcome registry with synthetic patients, courses, check-in windows,
    missing data, exits and adverse events (benchmarks, demos). Everything is invented
    and marked origin 'synthetic'; a database that already holds patients is refused
    without --force (synthetic people would stand in its patient list)."""
    import datetime as dt
    import time

    from respira.app import migrate as db
    from respira.outcomes import service as outcomes

    day = None
    if today is not None:
        try:
            day = dt.date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter("enter a date as YYYY-MM-DD", param_hint="--today") from None
    url = get_settings().database_url
    if db.current_revision(url) != db.head_revision():
        db.upgrade(url)
    database = _database()
    try:
        with database.transaction() as session:
            if outcomes.has_patients(session) and not force:
                err.print(
                    "This database already holds patients; synthetic ones would stand among "
                    "them. Use an empty database, or --force."
                )
                raise typer.Exit(1)
            started = time.perf_counter()
            made = outcomes.generate(session, patients, seed, today=day, years=years)
    finally:
        database.dispose()
    console.print(
        f"{made.patients} synthetic patients, {made.courses} courses, {made.windows} windows, "
        f"{made.adverse_events} adverse events, {made.exits} exits: {made.observations} "
        f"observations in {time.perf_counter() - started:.1f} s."
    )


if __name__ == "__main__":  # pragma: no cover
    app()
