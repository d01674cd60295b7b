"""Alembic environment: the URL comes from ``bot.storage.migrate`` (``Config.attributes``) or,
when Alembic is run by hand, from the bot's settings. Nothing connects at import time."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection

from bot.storage.engine import make_engine, normalise_url
from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

config = context.config

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("database_url")
    if not url:
        from bot.config import load_settings

        url = load_settings().database_url
    return normalise_url(str(url))


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the project's column types as plain SQLAlchemy ones in new revisions."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# Tables the scheduler creates for itself (bot.jobs.scheduler): not part of the models.
SCHEDULER_TABLES = {"apscheduler_jobs", "scheduler_claims"}


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Autogenerate ignores the scheduler's own tables (it would otherwise drop them)."""
    return not (type_ == "table" and name in SCHEDULER_TABLES)


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "include_name": include_name,
        "compare_type": True,
        "render_as_batch": dialect_name == "sqlite",
        "render_item": render_item,
    }


def run_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(url.split(":", 1)[0].split("+", 1)[0]),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    options = _options(connection.dialect.name)
    if connection.dialect.name == "sqlite":
        # make_engine's connections emit a real BEGIN, so SQLite's DDL is transactional too:
        # a failing migration leaves the database as it was.
        options["transactional_ddl"] = True
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Foreign keys off on SQLite while migrating: batch mode copies and drops tables.
    engine = make_engine(database_url(), foreign_keys=False)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
