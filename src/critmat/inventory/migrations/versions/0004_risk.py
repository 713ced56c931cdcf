"""Risk register.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("likelihood", sa.Integer, nullable=False),
        sa.Column("impact", sa.Integer, nullable=False),
        sa.Column("mitigation", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.CheckConstraint("likelihood BETWEEN 1 AND 5", name="ck_risk_likelihood"),
        sa.CheckConstraint("impact BETWEEN 1 AND 5", name="ck_risk_impact"),
    )


def downgrade() -> None:
    op.drop_table("risk")
