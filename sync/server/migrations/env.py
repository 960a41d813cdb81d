"""Alembic environment: runs on the connection :mod:`sync.server.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from sync.server.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


conn = config.attributes.get("connection")
if isinstance(conn, Connection):
    _run(conn)
else:  # the plain `alembic` command line with sqlalchemy.url set
    engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
    with engine.begin() as c:
        _run(c)
