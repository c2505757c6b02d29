"""Alembic environment for the results tables (``game_server.stores.results``).

``ResultsStore.migrate()`` hands over its own open connection in
``config.attributes["connection"]``. From the command line (the root ``alembic.ini``) the
database is ``sqlalchemy.url`` if set, else ``DATABASE_URL``, else the default SQLite file, as
the server would choose.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, UTCDateTime
from sqlmodel.sql.sqltypes import AutoString

from game_server.stores import results

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name)  # only from the command line: the server logs its way

target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Autogenerate the project's column types as plain SQLAlchemy ones, so a migration never
    imports application code (whose types may change after the migration is written)."""
    if type_ != "type":
        return False
    if isinstance(obj, results.JSONText):
        return "sa.Text()"
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        length = getattr(obj.impl, "length", None)
        return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if url:
        return url
    from game_server.config import Settings

    return Settings().effective_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER TABLE is limited
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(_url(), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
