"""Exact quantities and money (integers of micro-units and cents on every backend); the hash
version, the user of each entry and the MAC of the chain head.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: (table, column, decimal places)
FIXED = (
    ("ledger", "quantity", 6),
    ("lot", "cost_usd", 2),
    ("facility", "capacity_t", 6),
    ("insurance_policy", "insured_value_usd", 2),
)


def upgrade() -> None:
    bind = op.get_bind()
    for table, col, places in FIXED:
        scale = 10**places
        if bind.dialect.name == "postgresql":
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {col} TYPE BIGINT "
                f"USING round({col} * {scale})::bigint"
            )
        else:
            # SQLite: the NUMERIC column keeps integers exactly (type affinity), so only the
            # values change; recreating the tables would fight their foreign keys
            op.execute(f"UPDATE {table} SET {col} = CAST(ROUND({col} * {scale}) AS INTEGER)")
    with op.batch_alter_table("ledger") as b:
        b.add_column(sa.Column("hash_version", sa.Integer, nullable=False, server_default="1"))
        b.add_column(sa.Column("booked_by", sa.String(120), nullable=False, server_default=""))
    with op.batch_alter_table("ledger_head") as b:
        b.add_column(sa.Column("mac", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("ledger_head") as b:
        b.drop_column("mac")
    with op.batch_alter_table("ledger") as b:
        b.drop_column("booked_by")
        b.drop_column("hash_version")
    bind = op.get_bind()
    for table, col, places in FIXED:
        scale = 10**places
        if bind.dialect.name == "postgresql":
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {col} TYPE NUMERIC(20, {places}) "
                f"USING {col}::numeric / {scale}"
            )
        else:
            op.execute(f"UPDATE {table} SET {col} = {col} / {float(scale)}")
