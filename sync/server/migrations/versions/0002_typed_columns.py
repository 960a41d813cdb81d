"""Typed, indexed record columns; records keyed by (kiosk, uuid); kiosks get a community.

- ``records`` gains ``local_day`` (DATE), ``value`` and ``unit`` beside the
  JSON payload, and indexes for reports: (kind, local_day),
  (kiosk_id, local_day), (resident, kind), (occurred_at).
- The primary key becomes (kiosk_id, uuid): a UUID is the kiosk's own, so one
  kiosk can neither overwrite nor detect another kiosk's record.
- ``kiosks.community`` (text, default ``"default"``).
- Backfill: every stored payload is read with the record schema of the
  software running the migration (``sync.records.parse_record``, which also
  migrates an older record version), rewritten at the current version, and
  its typed columns filled. A payload that cannot be read keeps NULL typed
  columns and is logged, never dropped.

The table is rebuilt (create, copy, drop, rename) rather than altered, the
same way on SQLite and PostgreSQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("sync.server.migrations")

BATCH = 1000
COLUMNS = (
    "kiosk_id",
    "uuid",
    "kind",
    "schema_version",
    "resident",
    "occurred_at",
    "payload",
    "payload_hash",
    "received_at",
    "updated_at",
)


def upgrade() -> None:
    with op.batch_alter_table("kiosks") as batch:
        batch.add_column(
            sa.Column("community", sa.String(64), nullable=False, server_default="default")
        )
    op.create_table(
        "records_v3",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("local_day", sa.Date),
        sa.Column("value", sa.Float),
        sa.Column("unit", sa.String(16)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "uuid", name="pk_records"),
    )
    cols = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO records_v3 ({cols}) SELECT {cols} FROM records")
    op.drop_index("ix_records_kiosk_id", "records")
    op.drop_table("records")
    op.rename_table("records_v3", "records")
    _backfill()
    op.create_index("ix_records_kind_local_day", "records", ["kind", "local_day"])
    op.create_index("ix_records_kiosk_id_local_day", "records", ["kiosk_id", "local_day"])
    op.create_index("ix_records_resident_kind", "records", ["resident", "kind"])
    op.create_index("ix_records_occurred_at", "records", ["occurred_at"])


def _backfill() -> None:
    from sync.records import RecordError, parse_record

    conn = op.get_bind()
    t = sa.table(
        "records",
        sa.column("kiosk_id", sa.String),
        sa.column("uuid", sa.String),
        sa.column("payload", sa.Text),
        sa.column("payload_hash", sa.String),
        sa.column("schema_version", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("resident", sa.String),
        sa.column("local_day", sa.Date),
        sa.column("value", sa.Float),
        sa.column("unit", sa.String),
    )
    update = (
        sa.update(t)
        .where(t.c.kiosk_id == sa.bindparam("b_kiosk_id"), t.c.uuid == sa.bindparam("b_uuid"))
        .values(
            payload=sa.bindparam("b_payload"),
            payload_hash=sa.bindparam("b_payload_hash"),
            schema_version=sa.bindparam("b_schema_version"),
            resident=sa.bindparam("b_resident"),
            local_day=sa.bindparam("b_local_day"),
            value=sa.bindparam("b_value"),
            unit=sa.bindparam("b_unit"),
        )
    )
    after_kiosk, after_uuid = "", ""
    done = unreadable = 0
    while True:
        rows = conn.execute(
            sa.select(t.c.kiosk_id, t.c.uuid, t.c.payload)
            .where(
                sa.tuple_(t.c.kiosk_id, t.c.uuid)
                > sa.tuple_(sa.literal(after_kiosk), sa.literal(after_uuid))
            )
            .order_by(t.c.kiosk_id, t.c.uuid)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        changes = []
        for kiosk_id, uid, payload in rows:
            try:
                rec = parse_record(json.loads(payload))
            except (RecordError, ValueError) as exc:
                unreadable += 1
                log.warning("record %s/%s: payload not readable, typed columns left empty: %s",
                            kiosk_id, uid, exc)
                continue
            text = json.dumps(rec.to_json_dict(), sort_keys=True, separators=(",", ":"))
            value, unit = rec.measure()
            changes.append({
                "b_kiosk_id": kiosk_id,
                "b_uuid": uid,
                "b_payload": text,
                "b_payload_hash": hashlib.sha256(text.encode()).hexdigest(),
                "b_schema_version": rec.schema_version,
                "b_resident": rec.resident,
                "b_local_day": rec.local_day(),
                "b_value": value,
                "b_unit": unit,
            })
        if changes:
            conn.execute(update, changes)
        done += len(changes)
        after_kiosk, after_uuid = rows[-1][0], rows[-1][1]
    if done or unreadable:
        log.info("backfilled typed columns of %d record(s); %d unreadable", done, unreadable)


def downgrade() -> None:
    op.drop_index("ix_records_occurred_at", "records")
    op.drop_index("ix_records_resident_kind", "records")
    op.drop_index("ix_records_kiosk_id_local_day", "records")
    op.drop_index("ix_records_kind_local_day", "records")
    op.create_table(
        "records_v2",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("payload_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    cols = ", ".join(COLUMNS)
    op.execute(f"INSERT INTO records_v2 ({cols}) SELECT {cols} FROM records")
    op.drop_table("records")
    op.rename_table("records_v2", "records")
    op.create_index("ix_records_kiosk_id", "records", ["kiosk_id"])
    with op.batch_alter_table("kiosks") as batch:
        batch.drop_column("community")
