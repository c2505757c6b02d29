"""Results: a revision on every row, so the outbox's upserts keep the newest version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The results outbox writes a room's rows again and again as the game goes (a life that played
further), possibly from two instances at once: each row carries its version's timestamp in
microseconds, and an upsert replaces a row only with one at least as new. Rows already stored
get 0, so any version from the outbox replaces them. ``room_summary`` needs no new unique key:
its primary key is the room code.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("life_result", "room_summary", "quiz_answer")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    for table in TABLES:
        # Batch mode: SQLite drops a column by copying the table.
        with op.batch_alter_table(table) as batch:
            batch.drop_column("revision")
