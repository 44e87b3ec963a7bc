"""the tour asks which Leitziel matters most: a count per city and Leitziel, no names

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leitziel_choice",
        sa.Column("city", sa.String(length=40), nullable=False),
        sa.Column("leitziel", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("city", "leitziel"),
    )


def downgrade() -> None:
    op.drop_table("leitziel_choice")
