"""Community life: challenges, events, polls, announcements, feedback topics and replies.

- ``community_items`` (the items managers publish) and ``announcement_pictures``;
- ``feedback_topics`` with the default topics of every community (``*``):
  equipment_broken, suggestion, praise; ``feedback_replies``;
- ``poll_votes``, ``event_signups`` and ``challenge_tallies``, filled by the ingest
  transaction (``sync.server.community.ingest``); no record of the new kinds can exist
  before this revision, so there is nothing to backfill;
- ``community_versions``, the feed's version counter per community.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TOPICS = (
    ("equipment_broken", "设备故障", "Equipment broken", 1),
    ("suggestion", "建议", "Suggestion", 2),
    ("praise", "表扬", "Praise", 3),
)


def upgrade() -> None:
    op.create_table(
        "community_items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.String(32), nullable=False),
        sa.Column("ends_at", sa.String(32), nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("targets", sa.Text, nullable=False, server_default="[]"),
        sa.Column("ended", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_community_items_lookup", "community_items", ["community", "kind", "ends_at"]
    )
    op.create_table(
        "announcement_pictures",
        sa.Column(
            "item_id",
            sa.String(64),
            sa.ForeignKey("community_items.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    topics = op.create_table(
        "feedback_topics",
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("community", "id", name="pk_feedback_topics"),
    )
    op.bulk_insert(
        topics,
        [
            {"community": "*", "id": i, "title_zh": zh, "title_en": en, "position": n}
            for i, zh, en, n in DEFAULT_TOPICS
        ],
    )
    op.create_table(
        "feedback_replies",
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("handled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reply", sa.Text, nullable=False),
        sa.Column("replied_at", sa.String(32)),
        sa.Column("replied_by", sa.String(64)),
        sa.PrimaryKeyConstraint("kiosk_id", "uuid", name="pk_feedback_replies"),
    )
    op.create_index(
        "ix_feedback_replies_resident", "feedback_replies", ["community", "resident"]
    )
    op.create_table(
        "poll_votes",
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("poll_id", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("choices", sa.String(200), nullable=False),
        sa.Column("voted_at", sa.String(32), nullable=False),
        sa.Column("local_day", sa.Date, nullable=False),
        sa.Column("age_group", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("community", "poll_id", "resident", name="pk_poll_votes"),
    )
    op.create_index("ix_poll_votes_resident", "poll_votes", ["community", "resident"])
    op.create_table(
        "event_signups",
        sa.Column("community", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("signed_up", sa.Boolean, nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("community", "event_id", "resident", name="pk_event_signups"),
    )
    op.create_index("ix_event_signups_resident", "event_signups", ["community", "resident"])
    op.create_table(
        "challenge_tallies",
        sa.Column("challenge_id", sa.String(64), nullable=False),
        sa.Column("resident", sa.String(128), nullable=False),
        sa.Column("amount", sa.Float, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("challenge_id", "resident", name="pk_challenge_tallies"),
    )
    op.create_table(
        "community_versions",
        sa.Column("community", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("community_versions")
    op.drop_table("challenge_tallies")
    op.drop_index("ix_event_signups_resident", "event_signups")
    op.drop_table("event_signups")
    op.drop_index("ix_poll_votes_resident", "poll_votes")
    op.drop_table("poll_votes")
    op.drop_index("ix_feedback_replies_resident", "feedback_replies")
    op.drop_table("feedback_replies")
    op.drop_table("feedback_topics")
    op.drop_table("announcement_pictures")
    op.drop_index("ix_community_items_lookup", "community_items")
    op.drop_table("community_items")
