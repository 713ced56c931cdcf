"""Climate equipment for predictive maintenance.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("facility_id", sa.Integer, sa.ForeignKey("facility.id"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("installed_on", sa.Date, nullable=False),
        sa.Column("last_service_on", sa.Date, nullable=False),
        sa.Column("hours_since_service", sa.Numeric(12, 1), nullable=False),
        sa.Column("hours_per_day", sa.Numeric(6, 2), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("equipment")
