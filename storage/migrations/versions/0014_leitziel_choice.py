"""the tour asks which Leitziel matters most: a count per city and Leitziel, no names

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
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
