"""Results: the host token's hash kept with the room's summary.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10

A room expires from Redis six hours after it was last used, but SQL keeps its results for
``RESULTS_RETENTION_DAYS``: with the SHA-256 of the host token next to the summary, the trainer
can still export them with the same token after the room is gone. ``NULL`` for rooms stored
before (and for a summary written without it): those export only while the room lives.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("room_summary", sa.Column("host_token_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite drops a column by copying the table.
    with op.batch_alter_table("room_summary") as batch:
        batch.drop_column("host_token_hash")
