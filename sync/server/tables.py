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
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
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


# --- manager pages (sync.server.web) ---------------------------------------------------
#
# Accounts, login sessions, login throttling, the cookie-signing secret, and
# the aggregates the pages read instead of the records table: ``agg_cells``
# holds one row per cell (community, kiosk, grain, period, kind, dimension,
# value) with running sums, updated in the ingest transaction; ``agg_members``
# holds, per cell, which residents contributed (a 64-bit hash of the pseudonym
# and a reference count) so a cell knows its distinct residents exactly, also
# after an update or a deletion (see ``sync.server.web.aggregates``). Times in
# the auth tables are epoch seconds (floats), the same on both engines.

managers = Table(
    "managers",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("community", String(64), nullable=True),
    # NULL community: a district manager, who sees every community.
    Column("language", String(8), nullable=False, server_default="zh_CN"),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("created_at", Float, nullable=False),
)

manager_sessions = Table(
    "manager_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column(
        "manager",
        String(64),
        ForeignKey("managers.name", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("address", String(64), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    # "account:<name>" or "address:<ip>"
    Column("window_start", Float, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", Float, nullable=False, server_default="0"),
)

server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

agg_cells = Table(
    "agg_cells",
    metadata,
    Column("cell", BigInteger, primary_key=True, autoincrement=False),
    Column("community", String(64), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("grain", String(1), nullable=False),
    Column("period", Date, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("dim", String(16), nullable=False),
    Column("dim_value", String(200), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("guests", BigInteger, nullable=False),
    Column("residents", BigInteger, nullable=False),
    Column("completed", BigInteger, nullable=False),
    Column("reps", BigInteger, nullable=False),
    Column("duration_ms", BigInteger, nullable=False),
    Column("value_sum", Float, nullable=False),
    Column("score_sum", Float, nullable=False),
    Column("score_n", BigInteger, nullable=False),
    Index("ix_agg_cells_lookup", "grain", "dim", "kind", "community", "period", "kiosk_id"),
    Index("ix_agg_cells_kiosk", "kiosk_id", "period"),
)

agg_members = Table(
    "agg_members",
    metadata,
    Column("cell", BigInteger, primary_key=True, autoincrement=False),
    Column("member", BigInteger, primary_key=True, autoincrement=False),
    Column("refs", Integer, nullable=False),
)


# --- community life (sync.server.community, issue 15) -----------------------------------
#
# What managers publish (challenges, events, polls, announcements) is one row per item in
# ``community_items``: the item's wire model (``sync.community``) as JSON in ``spec``
# beside the typed columns the queries need (community, kind, start, end). What residents
# send as records is also kept, per item and resident, in tables the ingest transaction
# fills: ``poll_votes`` (the first vote, which the primary key keeps single),
# ``event_signups`` (each resident's current decision), ``challenge_tallies`` (what each
# resident's records added to a challenge, by ``sync.community.counts_toward``), so the
# feed and the pages read a few indexed rows instead of scanning records.
# ``community_versions`` is the feed's version counter; times are ISO 8601 UTC strings
# (fixed width, so they sort), like ``records.occurred_at``.

community_items = Table(
    "community_items",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("community", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    # challenge | event | poll | announcement
    Column("starts_at", String(32), nullable=False),
    Column("ends_at", String(32), nullable=False),
    Column("spec", Text, nullable=False),
    Column("targets", Text, nullable=False, server_default="[]"),
    # announcements: the kiosks that show it (JSON list; empty: every kiosk of the community)
    Column("ended", Boolean, nullable=False, server_default=false()),
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_community_items_lookup", "community", "kind", "ends_at"),
)

announcement_pictures = Table(
    "announcement_pictures",
    metadata,
    Column(
        "item_id",
        String(64),
        ForeignKey("community_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("content_type", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
)

feedback_topics = Table(
    "feedback_topics",
    metadata,
    Column("community", String(64), nullable=False),
    # "*": a default topic of every community
    Column("id", String(64), nullable=False),
    Column("title_zh", String(200), nullable=False),
    Column("title_en", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("community", "id", name="pk_feedback_topics"),
)

feedback_replies = Table(
    "feedback_replies",
    metadata,
    Column("kiosk_id", String(64), nullable=False),
    Column("uuid", String(36), nullable=False),
    # the feedback record's key (records.kiosk_id, records.uuid)
    Column("community", String(64), nullable=False),
    Column("resident", String(128), nullable=False),
    Column("handled", Boolean, nullable=False, server_default=false()),
    Column("reply", Text, nullable=False),
    Column("replied_at", String(32)),
    Column("replied_by", String(64)),
    PrimaryKeyConstraint("kiosk_id", "uuid", name="pk_feedback_replies"),
    Index("ix_feedback_replies_resident", "community", "resident"),
)

poll_votes = Table(
    "poll_votes",
    metadata,
    Column("community", String(64), nullable=False),
    Column("poll_id", String(64), nullable=False),
    Column("resident", String(128), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("uuid", String(36), nullable=False),
    Column("choices", String(200), nullable=False),
    # JSON list of choice indices
    Column("voted_at", String(32), nullable=False),
    Column("local_day", Date, nullable=False),
    Column("age_group", String(16), nullable=False),
    PrimaryKeyConstraint("community", "poll_id", "resident", name="pk_poll_votes"),
    Index("ix_poll_votes_resident", "community", "resident"),
)

event_signups = Table(
    "event_signups",
    metadata,
    Column("community", String(64), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("resident", String(128), nullable=False),
    Column("kiosk_id", String(64), nullable=False),
    Column("uuid", String(36), nullable=False),
    Column("signed_up", Boolean, nullable=False),
    Column("decided_at", String(32), nullable=False),
    PrimaryKeyConstraint("community", "event_id", "resident", name="pk_event_signups"),
    Index("ix_event_signups_resident", "community", "resident"),
)

challenge_tallies = Table(
    "challenge_tallies",
    metadata,
    Column("challenge_id", String(64), nullable=False),
    Column("resident", String(128), nullable=False),
    Column("amount", Float, nullable=False),
    Column("records", Integer, nullable=False),
    PrimaryKeyConstraint("challenge_id", "resident", name="pk_challenge_tallies"),
)

community_versions = Table(
    "community_versions",
    metadata,
    Column("community", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
)
