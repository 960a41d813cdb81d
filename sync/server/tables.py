"""The central database's tables, defined once (SQLAlchemy Core metadata).

Why this module exists: the ingest code, the reports the manager pages run and
the Alembic migrations must agree on one schema. The migrations in
``sync/server/migrations/versions`` build exactly this metadata (a test
compares them with Alembic's ``compare_metadata`` on SQLite and PostgreSQL);
change both together and add a migration.

Records keep the record's JSON (``payload``) beside typed, indexed columns
taken from it, so reports are plain queries: ``kind``, ``kiosk_id``,
``resident``, ``local_day`` (the kiosk's local calendar day, a DATE),
``value`` + ``unit`` (what the record measured) and ``occurred_at`` (ISO 8601
in UTC, fixed width, so it sorts chronologically). Indexes serve the reports
(by kind and day, by kiosk and day, by resident); each one costs every insert. A record is identified by
the kiosk that sent it and the UUID it made, so one kiosk can neither touch
nor detect another kiosk's records.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

DEFAULT_COMMUNITY = "default"

kiosks = Table(
    "kiosks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("last_seen_at", String(32)),
    Column("last_heartbeat", Text),
    Column("community", String(64), nullable=False, server_default=DEFAULT_COMMUNITY),
)

records = Table(
    "records",
    metadata,
    Column("kiosk_id", String(64), nullable=False),
    Column("uuid", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("resident", String(128), nullable=False),
    Column("occurred_at", String(32), nullable=False),
    Column("local_day", Date),
    Column("value", Float),
    Column("unit", String(16)),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    PrimaryKeyConstraint("kiosk_id", "uuid", name="pk_records"),
    Index("ix_records_kind_local_day", "kind", "local_day"),
    Index("ix_records_kiosk_id_local_day", "kiosk_id", "local_day"),
    Index("ix_records_resident_kind", "resident", "kind"),
)
