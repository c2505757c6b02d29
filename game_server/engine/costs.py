"""What work pays and cover costs, as the stage play charges them: one place for the engine's
yearly sums and the monthly prices the phone shows beside each option (``status.options.
prices``), so the two can never differ. Pure: figures of the scenario's data and the rules in
``policy.py``.
"""

from __future__ import annotations

from game_server.content.schema import City, Job, Scenario
from game_server.engine import policy
from game_server.engine.decisions import Hours, MedicalChoice

HOURS_INCOME = {Hours.PART_TIME: 0.55, Hours.FULL_TIME: 1.0, Hours.LONG_HOURS: 1.3}
"""A job's income at each choice of hours, as a share of its full-time income."""
RETIRED_LIVING_SHARE = 0.8
"""Living costs in retirement, as a share of a working household's (less travel and work)."""


def employee_pension_yearly(city: City, pct: int) -> tuple[float, float, float]:
    """A flexible worker's employees' pension for a year at the base level ``pct``: what they
    pay, what goes to their personal account, and the base as a share of the average wage (the
    pension formula's index)."""
    avg = city.average_wage_monthly.value
    base = policy.contribution_base(
        pct, avg, city.pension_base_floor.value, city.pension_base_ceiling.value
    )
    payment, to_account = policy.yearly_flexible_contribution(base)
    return payment, to_account, base / avg


def medical_premium_yearly(city: City, choice: MedicalChoice) -> float:
    """A year of medical insurance: the residents' premium, or the employees' scheme paid as a
    flexible worker at the floor base."""
    if choice is MedicalChoice.RESIDENTS:
        return city.residents_medical_premium_yearly.value
    if choice is MedicalChoice.EMPLOYEE:
        return city.employee_medical_rate.value * city.pension_base_floor.value * 12
    return 0.0


def accident_premium_yearly(scenario: Scenario) -> float:
    return scenario.commercial_accident_insurance.premium_yearly.value


def typical_income_yearly(job: Job, hours: Hours) -> float:
    """A job's income for a year at ``hours``, before a stage's own spread around it."""
    return job.monthly_income_full_time.value * 12 * HOURS_INCOME[hours]


def living_yearly(scenario: Scenario, city: City, working: bool) -> float:
    """A household's living costs for a year in ``city``."""
    living = city.living_cost_monthly.value * 12 * scenario.persona.household_size.value
    return living if working else living * RETIRED_LIVING_SHARE
