"""Baseline: the schema ``metadata.create_all`` made before migrations existed.

A database without an ``alembic_version`` table but with these tables is
stamped at this revision and upgraded from here (see ``sync.server.migrate``).

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32)),
        sa.Column("last_heartbeat", sa.Text),
    )
    op.create_table(
        "records",
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
    op.create_index("ix_records_kiosk_id", "records", ["kiosk_id"])


def downgrade() -> None:
    op.drop_index("ix_records_kiosk_id", "records")
    op.drop_table("records")
    op.drop_table("kiosks")
