"""Database engine, sessions, the declarative ``Base`` and the migration runner.

One code path serves SQLite (the default: a file with WAL journalling and foreign keys
on) and PostgreSQL (``postgresql+psycopg://``). SQLite allows one writer at a time; a
write transaction therefore starts with ``BEGIN IMMEDIATE`` so that it takes the write
lock before it reads anything it will base a write on (the audit chain's head, a
record's version). Read-only requests use plain deferred transactions and run in
parallel. On PostgreSQL both kinds are ordinary READ COMMITTED transactions; the audit
chain serialises its appends with an advisory lock (see ``respira.kit.audit``).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    SQLite has no time zones; PostgreSQL's ``timestamptz`` does. Normalising at the
    boundary means the rest of the code never meets a naive datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp: dt.datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# An SQLite database holds patient data: its file is readable by its owner only. SQLite
# gives the -wal, -shm and -journal files the database file's mode, so creating the file
# 0600 before SQLite opens it (and tightening one created looser before) covers them.
PRIVATE_FILE_MODE = 0o600


def private_sqlite_file(path: str) -> None:
    """Create the SQLite database file at ``path`` with mode 0600 if it does not exist;
    tighten an existing file of ours (and its -wal/-shm files) to 0600."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        return
    except FileExistsError:
        pass
    except OSError:  # a directory that does not exist: let SQLite report it
        return
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            info = os.stat(name)
            if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(name, PRIVATE_FILE_MODE)
        except OSError:
            continue


@event.listens_for(Engine, "do_connect")
def _private_sqlite(dialect: Dialect, _record: Any, cargs: list[Any], cparams: Any) -> None:
    """Every SQLite connection of every engine (the app's, the migrations', the
    command line's) opens a private file."""
    if dialect.name == "sqlite":
        database = cargs[0] if cargs else cparams.get("database", "")
        private_sqlite_file(str(database))


# Execution option for connections that run exactly one read statement (the access
# check, a read by primary key): they need no explicit transaction.
SINGLE_READ = "respira_single_read"


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        hide_parameters=True,  # an error message must never carry patient data
        connect_args={"check_same_thread": False, "timeout": 30},
        # As many pooled connections as request threads, so that connections (and
        # their PRAGMAs) are made once, not per request under load.
        pool_size=40,
        max_overflow=40,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(SINGLE_READ):
            return  # one statement: SQLite's implicit statement transaction suffices
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The engines and session factories for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            # No pre-ping: it would cost a round trip per checkout. After a database
            # restart the first request on a dead connection fails, and SQLAlchemy
            # then discards the whole pool; connections are recycled every 30 min.
            self.engine = create_engine(
                url, pool_size=20, max_overflow=40, pool_recycle=1800, hide_parameters=True
            )
            self.write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    def single_read(self) -> Connection:
        """A connection for one read statement, with no transaction around it: on
        SQLite no explicit BEGIN (``SINGLE_READ``), on PostgreSQL autocommit, which
        saves the BEGIN and ROLLBACK round trips."""
        conn = self.engine.connect()
        if self.is_sqlite:
            return conn.execution_options(**{SINGLE_READ: True})
        return conn.execution_options(isolation_level="AUTOCOMMIT")

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session whose work is committed when the block ends without error."""
        session = self.session(write=True)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
