"""What a player decides each round. Every field has a default so a tap-through is possible."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Hours(StrEnum):
    PART_TIME = "part_time"
    FULL_TIME = "full_time"
    LONG_HOURS = "long_hours"


class PensionChoice(StrEnum):
    NONE = "none"
    RESIDENTS = "residents"
    """Urban and rural residents' pension at a yearly tier."""
    EMPLOYEE = "employee"
    """Employees' pension as a flexible worker at a chosen base; in retirement, making up the
    missing years if short."""


class MedicalChoice(StrEnum):
    NONE = "none"
    RESIDENTS = "residents"
    EMPLOYEE = "employee"


@dataclass(slots=True, init=False, unsafe_hash=True)
class Decisions:
    """One round's choices. ``job`` is ``None`` in retirement rounds."""

    job: str | None = None
    hours: Hours = Hours.FULL_TIME
    pension: PensionChoice = PensionChoice.NONE
    pension_base_pct: int = 60
    residents_tier: int = 0
    medical: MedicalChoice = MedicalChoice.NONE
    accident_insurance: bool = False
    saving_rate: int = 10
    """Percent of income put aside; the rest of what is left after needs is spent."""
    personal_pension: int = 0
    """Yuan a year into the personal pension (at most 12,000)."""

    def __init__(
        self,
        job: str | None = None,
        hours: Hours = Hours.FULL_TIME,
        pension: PensionChoice = PensionChoice.NONE,
        pension_base_pct: int = 60,
        residents_tier: int = 0,
        medical: MedicalChoice = MedicalChoice.NONE,
        accident_insurance: bool = False,
        saving_rate: int = 10,
        personal_pension: int = 0,
    ) -> None:
        self.job = job
        self.hours = hours
        self.pension = pension
        self.pension_base_pct = pension_base_pct
        self.residents_tier = residents_tier
        self.medical = medical
        self.accident_insurance = accident_insurance
        self.saving_rate = saving_rate
        self.personal_pension = personal_pension
