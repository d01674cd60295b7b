"""Opening the database at start-up, with one clear line for every way ``DATABASE_URL`` can be
unusable: a URL that does not parse, an unknown kind of database, a driver that is not installed,
a server that cannot be reached, a SQLite file that is corrupt, missing its folder or read-only.

:func:`open_store_engine` migrates the database (or, with ``AUTO_MIGRATE=false``, checks that it is
migrated), opens it and proves that it can be written to (a read-only database would otherwise
accept every message and store none of them); the errors come as :class:`DatabaseUnusable`, a
:class:`~bot.core.errors.StartupError` that the command line prints as one line with exit status 2.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from bot.core.errors import StartupError
from bot.storage.engine import BEGIN_OPTION, make_engine, normalise_url
from bot.storage.migrate import SchemaBehind, prepare_on_start

logger = logging.getLogger(__name__)

SETTING = "DATABASE_URL"
EXAMPLES = "e.g. sqlite:///emotion-bot.db or postgresql://USER:PASSWORD@HOST/DATABASE"


class DatabaseUnusable(StartupError):
    """The database named by ``DATABASE_URL`` cannot be opened, migrated or written to."""


def describe(url: str) -> str:
    """What to call the database in a message: the SQLite file, or the URL without password."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return SETTING
    if parsed.get_backend_name() == "sqlite":
        database = (parsed.database or ":memory:").removeprefix("file:").split("?", 1)[0]
        return f"the SQLite file {database} ({SETTING})"
    shown = parsed.render_as_string(hide_password=True)
    return f"the database at {shown} ({SETTING})"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines() or [type(orig).__name__]
    return lines[0][:300]


@contextmanager
def explained(url: str) -> Iterator[None]:
    """Turn the errors of opening ``url`` into one :class:`DatabaseUnusable` line."""
    try:
        yield
    except DatabaseUnusable:
        raise
    except NoSuchModuleError:
        kind = url.split(":", 1)[0][:40]
        raise DatabaseUnusable(
            f"{SETTING} names an unknown kind of database {kind!r}; {EXAMPLES}"
        ) from None
    except ArgumentError:
        raise DatabaseUnusable(f"{SETTING} is not a database URL; {EXAMPLES}") from None
    except ImportError as exc:
        raise DatabaseUnusable(
            f"{SETTING} needs the Python driver {exc.name or _first_line(exc)!r}, which is not "
            f"installed; install it, or use {EXAMPLES}"
        ) from None
    except DBAPIError as exc:
        raise DatabaseUnusable(_dbapi_message(url, exc)) from None
    except (SQLAlchemyError, OSError) as exc:
        raise DatabaseUnusable(f"cannot open {describe(url)}: {_first_line(exc)}") from None


def _dbapi_message(url: str, exc: DBAPIError) -> str:
    where = describe(url)
    reason = _first_line(exc)
    low = reason.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        return f"{where} is read-only: the bot must write to it ({reason})"
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return f"{where} is not a SQLite database or is corrupt ({reason})"
    if "unable to open" in low:
        return f"cannot open {where}: check that its folder exists and is writable ({reason})"
    return f"cannot use {where}: {reason}"


def check_writable(engine: Engine) -> None:
    """Prove that ``engine`` can write (and roll the write back): raises ``DBAPIError`` for a
    read-only file, a read-only connection or a standby server."""
    writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
    with writer.connect() as conn, conn.begin() as tx:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        tx.rollback()


def open_store_engine(url: str, *, auto_migrate: bool = True) -> Engine:
    """Migrate the database at ``url`` (``auto_migrate=False``: check that it is at head), open
    it and check it takes writes; the engine to build the store on. Raises
    :class:`DatabaseUnusable` with one line saying what is wrong."""
    with explained(url):
        try:
            prepare_on_start(url, auto_migrate=auto_migrate)
        except SchemaBehind as exc:
            raise DatabaseUnusable(f"{describe(url)}: {exc}") from None
        engine = make_engine(url)
        try:
            check_writable(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine
