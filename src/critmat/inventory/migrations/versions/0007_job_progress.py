"""Jobs report their progress (fraction of the work done, 0-1).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_job") as b:
        b.add_column(sa.Column("progress", sa.Float, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("api_job") as b:
        b.drop_column("progress")
