"""Initial inventory schema: facility, zone, lot, ledger, ledger_head.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

QTY = sa.Numeric(20, 6)
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("climate_controlled", sa.Boolean, nullable=False),
        sa.Column("capacity_t", QTY, nullable=False),
        sa.Column("security_level", sa.String(40), nullable=False),
    )
    op.create_table(
        "zone",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("conditions", sa.String(200), nullable=False),
        sa.UniqueConstraint("facility_id", "code"),
    )
    op.create_table(
        "lot",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(60), nullable=False, unique=True),
        sa.Column("material", sa.String(40), nullable=False),
        sa.Column("form", sa.String(80), nullable=False),
        sa.Column("purity", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("packaging", sa.String(80), nullable=False),
        sa.Column("origin_country", sa.String(3), nullable=False),
        sa.Column("supplier", sa.String(120), nullable=False),
        sa.Column("acquired_on", sa.Date, nullable=True),
        sa.Column("cost_usd", sa.Numeric(20, 2), nullable=False),
        sa.Column("certificate", sa.String(120), nullable=False),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("lot_id", sa.Integer, sa.ForeignKey("lot.id"), nullable=False),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zone.id"), nullable=True),
        sa.Column("quantity", QTY, nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("transfer", sa.String(60), nullable=False),
        sa.Column("carrier", sa.String(120), nullable=False),
        sa.Column("route", sa.String(200), nullable=False),
        sa.Column("seal", sa.String(60), nullable=False),
        sa.Column("batch", sa.String(80), nullable=False),
        sa.Column("idempotency_key", sa.String(120), nullable=True, unique=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("quantity <> 0", name="ck_ledger_nonzero"),
        sa.UniqueConstraint("seq", name="uq_ledger_seq"),
    )
    op.create_index("ix_ledger_lot_zone", "ledger", ["lot_id", "zone_id"])
    op.create_index("ix_ledger_transfer", "ledger", ["transfer"])
    head = op.create_table(
        "ledger_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    for table in ("ledger_head", "ledger", "lot", "zone", "facility"):
        op.drop_table(table)
