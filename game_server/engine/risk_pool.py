"""The group risk pool: why social insurance exists, shown with the room's own players.

Each member pays a contribution into one pool; the shocks that hit members (bills) are paid from
the pool, in full while it lasts and pro rata when it does not. Next to it stands what each member
would have faced alone. A few players are hit hard; everyone pays a little; nobody is ruined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolMember:
    member_id: str
    contribution: float
    loss: float
    """The bills that hit this member in the pooled period."""


@dataclass(frozen=True, slots=True)
class PoolShare:
    member_id: str
    contribution: float
    loss: float
    paid_by_pool: float

    @property
    def cost_alone(self) -> float:
        """What the member would have paid without the pool: the whole loss."""
        return self.loss

    @property
    def cost_pooled(self) -> float:
        """What the member paid with the pool: the contribution and any unpaid part of the loss."""
        return self.contribution + self.loss - self.paid_by_pool


@dataclass(frozen=True, slots=True)
class PoolResult:
    shares: tuple[PoolShare, ...]
    total_contributions: float
    total_losses: float
    paid_out: float

    @property
    def left_in_pool(self) -> float:
        return self.total_contributions - self.paid_out

    @property
    def share_of_losses_paid(self) -> float:
        return self.paid_out / self.total_losses if self.total_losses else 1.0

    @property
    def worst_alone(self) -> float:
        return max((s.cost_alone for s in self.shares), default=0.0)

    @property
    def worst_pooled(self) -> float:
        return max((s.cost_pooled for s in self.shares), default=0.0)


def risk_pool(members: Sequence[PoolMember]) -> PoolResult:
    """Pool the members' contributions and pay their losses from it (pro rata if short)."""
    if any(m.contribution < 0 or m.loss < 0 for m in members):
        raise ValueError("contributions and losses cannot be negative")
    total_in = sum((m.contribution for m in members), 0.0)
    total_loss = sum((m.loss for m in members), 0.0)
    ratio = 1.0 if total_loss <= total_in else total_in / total_loss
    shares = tuple(PoolShare(m.member_id, m.contribution, m.loss, m.loss * ratio) for m in members)
    return PoolResult(shares, total_in, total_loss, sum((s.paid_by_pool for s in shares), 0.0))


def fair_contribution(losses: Sequence[float]) -> float:
    """The equal contribution that would have paid every loss: the average loss."""
    return sum(losses, 0.0) / len(losses) if losses else 0.0
