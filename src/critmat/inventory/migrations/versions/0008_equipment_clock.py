"""Equipment run hours follow the calendar: the day the recorded hours since service refer to.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("equipment") as b:
        b.add_column(sa.Column("hours_as_of", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("equipment") as b:
        b.drop_column("hours_as_of")
