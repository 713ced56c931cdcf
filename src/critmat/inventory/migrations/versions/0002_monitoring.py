"""Condition monitoring and insurance: sensor_reading, alert, insurance_policy.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensor_reading",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zone.id"), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("value", sa.Numeric(12, 4), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ix_reading_zone_metric_ts", "sensor_reading", ["zone_id", "metric", "ts"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zone.id"), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(20), nullable=False),
        sa.Column("value", sa.Numeric(12, 4), nullable=False),
        sa.Column("rule", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("message", sa.String(300), nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("note", sa.String(300), nullable=False),
    )
    op.create_table(
        "insurance_policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("policy_no", sa.String(60), nullable=False, unique=True),
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=True),
        sa.Column("insured_value_usd", sa.Numeric(20, 2), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in ("insurance_policy", "alert", "sensor_reading"):
        op.drop_table(table)
