"""Results: life_result, room_summary and quiz_answer.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand: plain SQLAlchemy types only (JSON is TEXT, datetimes are timezone-aware), so
this file never changes meaning when the application's models do.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "life_result",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_code", sa.String(), nullable=False),
        sa.Column("scenario_id", sa.String(), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.String(), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("badges", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("room_code", "player_id", name="uq_life_result_room_player"),
        sa.CheckConstraint("mode IN ('solo', 'workshop')", name="ck_life_result_mode"),
    )
    op.create_index("ix_life_result_room_code", "life_result", ["room_code"])
    op.create_index("ix_life_result_scenario_id", "life_result", ["scenario_id"])
    op.create_index("ix_life_result_score", "life_result", ["score"])
    op.create_index("ix_life_result_finished_at", "life_result", ["finished_at"])

    op.create_table(
        "room_summary",
        sa.Column("room_code", sa.String(), primary_key=True),
        sa.Column("scenario_id", sa.String(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("players", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stats", sa.Text(), nullable=False),
        sa.CheckConstraint("mode IN ('solo', 'workshop')", name="ck_room_summary_mode"),
    )

    op.create_table(
        "quiz_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("room_code", sa.String(), nullable=False),
        sa.Column("player_id", sa.String(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("phase", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "room_code", "player_id", "question_id", "phase", name="uq_quiz_answer_one_per_phase"
        ),
        sa.CheckConstraint("phase IN ('pre', 'post')", name="ck_quiz_answer_phase"),
    )
    op.create_index("ix_quiz_answer_room_code", "quiz_answer", ["room_code"])


def downgrade() -> None:
    op.drop_table("quiz_answer")
    op.drop_table("room_summary")
    op.drop_table("life_result")
