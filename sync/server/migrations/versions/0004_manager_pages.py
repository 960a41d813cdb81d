"""Manager pages: accounts, login sessions and throttling, the signing secret, aggregates.

- ``managers``, ``manager_sessions``, ``login_failures``, ``server_secrets``;
- ``agg_cells`` and ``agg_members`` (see ``sync.server.web.aggregates``),
  backfilled from every stored record, so the pages are exact from the first
  start after the upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("sync.server.migrations")


def upgrade() -> None:
    op.create_table(
        "managers",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("community", sa.String(64), nullable=True),
        sa.Column("language", sa.String(8), nullable=False, server_default="zh_CN"),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "manager_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "manager",
            sa.String(64),
            sa.ForeignKey("managers.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
    )
    op.create_index("ix_manager_sessions_manager", "manager_sessions", ["manager"])
    op.create_index("ix_manager_sessions_expires_at", "manager_sessions", ["expires_at"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_table(
        "agg_cells",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("period", sa.Date, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("dim_value", sa.String(200), nullable=False),
        *[
            sa.Column(name, sa.BigInteger, nullable=False)
            for name in ("n", "guests", "residents", "completed", "reps", "duration_ms")
        ],
        sa.Column("value_sum", sa.Float, nullable=False),
        sa.Column("score_sum", sa.Float, nullable=False),
        sa.Column("score_n", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_agg_cells_lookup",
        "agg_cells",
        ["grain", "dim", "kind", "community", "period", "kiosk_id"],
    )
    op.create_index("ix_agg_cells_kiosk", "agg_cells", ["kiosk_id", "period"])
    op.create_table(
        "agg_members",
        sa.Column("cell", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("member", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("refs", sa.Integer, nullable=False),
    )
    from sync.server.web.aggregates import rebuild_on

    counted = rebuild_on(op.get_bind())
    if counted:
        log.info("aggregates backfilled from %d stored record(s)", counted)


def downgrade() -> None:
    op.drop_table("agg_members")
    op.drop_index("ix_agg_cells_kiosk", "agg_cells")
    op.drop_index("ix_agg_cells_lookup", "agg_cells")
    op.drop_table("agg_cells")
    op.drop_table("server_secrets")
    op.drop_table("login_failures")
    op.drop_index("ix_manager_sessions_expires_at", "manager_sessions")
    op.drop_index("ix_manager_sessions_manager", "manager_sessions")
    op.drop_table("manager_sessions")
    op.drop_table("managers")
