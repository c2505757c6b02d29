"""The guide's calculator over a live server: the engine's own formula, with the province's
formula wage (计发基数) and the published floor, and the estimate mark whenever an input is one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e.e2e_support import ServerProcess

from game_server.content.loader import load_all
from game_server.engine import policy


@pytest.fixture(scope="module")
def server(start_server: Callable[[str], ServerProcess]) -> ServerProcess:
    return start_server("calc")


def test_the_lowest_level_is_the_published_floor(server: ServerProcess) -> None:
    # Shenzhen: the floor is 4,775 (粤人社发〔2025〕32号), not 60% × 9,183 = 5,509.8; the pension
    # formula uses Guangdong's 计发基数, which a calculator's data file gives (so: an estimate).
    city = load_all()["shenzhen-driver"].city("shenzhen")
    answer = server.get(
        "/api/calculator",
        params={"scenario_id": "shenzhen-driver", "city": "shenzhen", "years": 20},
    ).json()
    assert answer["base_monthly"] == city.pension_base_floor.value == 4775
    assert answer["payment_monthly"] == pytest.approx(4775 * 0.2, abs=0.01)
    assert city.pension_formula_wage_monthly is not None
    w = city.pension_formula_wage_monthly.value
    basic = policy.monthly_basic_pension(w, 4775 / city.average_wage_monthly.value, 20)
    assert answer["basic_pension_monthly"] == pytest.approx(basic, abs=0.01)
    assert answer["estimate"] is True
