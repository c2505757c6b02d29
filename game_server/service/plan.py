"""My plan: from a worker's own situation to which schemes to join where, what it costs, the
pension to expect at their own retirement date, what to do first, where and with what papers.

Pure and stateless: the route passes the request in and sends the plan back; nothing is stored.
The national rules are the engine's (``game_server.engine.policy``); city figures come from the
scenarios with their sources. A place in no scenario is served with the national rules and the
worker's own local average wage, and every figure from it is marked as an estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from game_server.content.schema import City, RetirementGroup, Scenario
from game_server.engine import policy

PLAN_YEAR = 2026
"""The year the scenarios' city figures describe: the plan starts from it."""

WORK_KINDS = ("platform_rider", "platform_driver", "domestic", "flexible", "factory")

LEGAL_WORKING_AGE = 16
"""No one may be employed before 16 (《劳动法》第十五条)."""

INJURY_SOURCE = "人社部发〔2025〕24号"
HUKOU_SOURCE = "党的二十届三中全会决定：全面取消在就业地参保户籍限制"
EMPLOYER_SOURCE = "《社会保险法》第五十八条、第六十三条"
FORMULA_SOURCE = "国发〔2005〕38号；国办发〔2019〕13号"
RETIREMENT_SOURCE = "全国人大常委会关于实施渐进式延迟法定退休年龄的决定（2024年9月13日）"


class PlanRequest(BaseModel):
    """What the worker enters. ``work_city``/``hukou_city``: a city id of the scenarios or
    ``other``; for ``other`` at work, ``local_average_wage`` (a month) is needed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    work_city: str = Field(min_length=1, max_length=48)
    hukou_city: str = Field(min_length=1, max_length=48)
    birth_year: StrictInt
    sex: Literal["male", "female"]
    years_paid: float = Field(ge=0)
    monthly_income: float = Field(ge=0, le=1_000_000)
    work_kind: Literal["platform_rider", "platform_driver", "domestic", "flexible", "factory"]
    employer_pays: bool = False
    """For factory work: whether the employer enrols and pays (if not, the plan starts there)."""
    base_pct: StrictInt = Field(default=60, ge=0, le=1000)
    local_average_wage: float | None = Field(default=None, gt=0, le=200_000)


@dataclass(frozen=True, slots=True)
class PlanError(Exception):
    """An input the plan cannot use, with a stable code and a message in both languages."""

    code: str
    field: str
    zh: str
    en: str

    def view(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": {"zh": self.zh, "en": self.en}}


@dataclass(frozen=True, slots=True)
class Place:
    """A city's figures for the plan, and whether they are estimates."""

    id: str
    name: dict[str, str]
    average_wage: float
    formula_wage: float
    """The province's wage for the pension formula (计发基数), else the average."""
    floor: float
    ceiling: float
    estimate: bool
    city: City | None


def cities_of(scenarios: Mapping[str, Scenario]) -> dict[str, City]:
    """Every city of the scenarios, once."""
    out: dict[str, City] = {}
    for sc in scenarios.values():
        for c in sc.cities:
            out.setdefault(c.id, c)
    return out


def _place(req: PlanRequest, cities: Mapping[str, City]) -> Place:
    if req.work_city == "other":
        if req.local_average_wage is None:
            raise PlanError(
                "plan/need_average_wage",
                "local_average_wage",
                "这个地方不在游戏里：请填当地公布的月平均工资（人社局网站或12333可查）。",
                "This place is not in the game: enter its published average monthly wage "
                "(the local social security bureau or 12333 has it).",
            )
        avg = req.local_average_wage
        # National rule: the base lies between 60% and 300% of the average wage.
        return Place(
            "other",
            {"zh": "你填的地方", "en": "your place"},
            avg,
            avg,
            avg * policy.BASE_PCT_MIN / 100,
            avg * policy.BASE_PCT_MAX / 100,
            True,
            None,
        )
    c = cities.get(req.work_city)
    if c is None:
        raise PlanError("plan/unknown_city", "work_city", "没有这个城市。", "No such city.")
    formula = c.pension_formula_wage_monthly or c.average_wage_monthly
    figures = (c.average_wage_monthly, formula, c.pension_base_floor, c.pension_base_ceiling)
    return Place(
        c.id,
        {"zh": c.name.zh, "en": c.name.en},
        c.average_wage_monthly.value,
        formula.value,
        c.pension_base_floor.value,
        c.pension_base_ceiling.value,
        any(f.estimate for f in figures),
        c,
    )


def retirement_group(sex: str, work_kind: str) -> RetirementGroup:
    """Men: the 60 group. Women in factory (worker) posts: the 50 group; other women as
    flexible workers: the 55 group, as most provinces apply to flexible workers (an assumption
    the plan marks: the local office decides)."""
    if sex == "male":
        return RetirementGroup.MALE_60
    return RetirementGroup.FEMALE_50 if work_kind == "factory" else RetirementGroup.FEMALE_55


def _check(req: PlanRequest, year: int) -> int:
    """The worker's age this year, after refusing impossible inputs."""
    age = year - req.birth_year
    if not LEGAL_WORKING_AGE <= age <= 100:
        raise PlanError(
            "plan/bad_birth_year",
            "birth_year",
            f"出生年份要让你今年在{LEGAL_WORKING_AGE}到100岁之间。",
            f"The birth year must make you {LEGAL_WORKING_AGE} to 100 this year.",
        )
    if req.years_paid > age - LEGAL_WORKING_AGE:
        raise PlanError(
            "plan/too_many_years",
            "years_paid",
            f"{age}岁最多交了{age - LEGAL_WORKING_AGE}年（16岁才能工作）。",
            f"At {age} at most {age - LEGAL_WORKING_AGE} years can have been paid "
            "(work starts at 16).",
        )
    if not policy.BASE_PCT_MIN <= req.base_pct <= policy.BASE_PCT_MAX:
        raise PlanError(
            "plan/bad_base",
            "base_pct",
            "缴费基数只能选平均工资的60%到300%。",
            "The base must be 60% to 300% of the average wage.",
        )
    return age


def retirement_facts(
    sex: str, birth_year: int, work_kind: str, year: int = PLAN_YEAR
) -> dict[str, Any]:
    """When a person of this sex, birth year and kind of work may draw a pension, and how many
    years it needs then (for the guide's calculator); a :class:`PlanError` for an impossible
    birth year."""
    age = year - birth_year
    if not LEGAL_WORKING_AGE <= age <= 100:
        raise PlanError(
            "plan/bad_birth_year",
            "birth_year",
            f"出生年份要让你今年在{LEGAL_WORKING_AGE}到100岁之间。",
            f"The birth year must make you {LEGAL_WORKING_AGE} to 100 this year.",
        )
    group = retirement_group(sex, work_kind)
    months = policy.statutory_retirement_age_months(group, birth_year)
    from_age = policy.statutory_retirement_age(group, birth_year)
    retire_year = policy.retirement_year(birth_year, months)
    return {
        "group": group.value,
        "age_years": months // 12,
        "age_months": months % 12,
        "pension_from_age": from_age,
        "year": retire_year,
        "minimum_years": policy.minimum_contribution_years(max(retire_year, year)),
        "source": RETIREMENT_SOURCE,
    }


def make_plan(
    req: PlanRequest, scenarios: Mapping[str, Scenario], year: int = PLAN_YEAR
) -> dict[str, Any]:
    """The plan for ``req`` (raises :class:`PlanError` for an input it cannot use)."""
    age = _check(req, year)
    cities = cities_of(scenarios)
    if req.hukou_city != "other" and req.hukou_city not in cities:
        raise PlanError("plan/unknown_city", "hukou_city", "没有这个城市。", "No such city.")
    place = _place(req, cities)
    hukou = cities.get(req.hukou_city)

    group = retirement_group(req.sex, req.work_kind)
    months = policy.statutory_retirement_age_months(group, req.birth_year)
    retire_age = policy.statutory_retirement_age(group, req.birth_year)
    retire_year = policy.retirement_year(req.birth_year, months)
    minimum = policy.minimum_contribution_years(max(retire_year, year))
    retired_already = age * 12 >= months
    # To the month: the age now is taken at mid-year, as the game does.
    years_to_go = max(0.0, months / 12 - age)
    years_at_retirement = req.years_paid + years_to_go
    short = max(0.0, minimum - years_at_retirement)

    base = policy.contribution_base(req.base_pct, place.average_wage, place.floor, place.ceiling)
    yearly, to_account = policy.yearly_flexible_contribution(base)
    employed = req.work_kind == "factory"
    counted = max(years_at_retirement, minimum) if short else years_at_retirement
    # Past years are taken at the same base (their account is unknown): an estimate.
    basic = policy.monthly_basic_pension(place.formula_wage, base / place.average_wage, counted)
    account = policy.monthly_account_pension(to_account * counted, max(retire_age, age))

    schemes = _schemes(req, place, hukou, age, year)
    steps = _steps(req, place, short, retired_already, minimum)
    return {
        "year": year,
        "age": age,
        "retirement": {
            "group": group.value,
            "age_years": months // 12,
            "age_months": months % 12,
            "pension_from_age": retire_age,
            "year": retire_year,
            "minimum_years": minimum,
            "already": retired_already,
            "assumed_group": req.sex == "female",
            "source": RETIREMENT_SOURCE,
        },
        "years": {
            "paid": req.years_paid,
            "at_retirement": round(years_at_retirement, 2),
            "short_by": round(short, 2),
            "make_up_cost": round(policy.make_up_cost(short, place.floor)) if short else 0,
        },
        "cost": {
            "base_pct": req.base_pct,
            "base_monthly": round(base),
            # An employee's share is on the pay slip; the flexible worker's 20% is theirs alone.
            "pension_monthly": None if employed else round(yearly / 12),
            "estimate": place.estimate,
            "source": FORMULA_SOURCE,
        },
        "pension": {
            "monthly": round(basic + account),
            "basic": round(basic),
            "account": round(account),
            "years_counted": counted,
            "estimate": True,
            "note": {
                "zh": "估算：假设从今年起每年都交；按今天的钱，平均工资不变，"
                "过去的年份按同样基数算。以当地社保部门为准。",
                "en": "An estimate: paying every year from now on; today's money, the average "
                "wage held, past years at the same base. The local office decides the real "
                "amount.",
            },
            "source": FORMULA_SOURCE,
        },
        "schemes": schemes,
        "steps": steps,
        "documents": _documents(req),
        "place": {"id": place.id, "name": place.name, "estimate": place.estimate},
    }


def _scheme(
    sid: str, where: dict[str, str], monthly: float | None, est: bool, source: str, zh: str, en: str
) -> dict[str, Any]:
    return {
        "id": sid,
        "where": where,
        "monthly": None if monthly is None else round(monthly),
        "estimate": est,
        "source": source,
        "text": {"zh": zh, "en": en},
    }


def _schemes(
    req: PlanRequest, place: Place, hukou: City | None, age: int, year: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    here = place.name
    home = (
        {"zh": hukou.name.zh, "en": hukou.name.en}
        if hukou
        else {"zh": "户籍地", "en": "hukou place"}
    )
    if req.work_kind == "factory" and not req.employer_pays:
        out.append(
            _scheme(
                "employer_insurance",
                here,
                None,
                False,
                EMPLOYER_SOURCE,
                "工厂必须给你交五险：养老、医疗、工伤、失业、生育。工伤保险全部由工厂交。",
                "The factory must insure you: pension, medical, injury, unemployment, "
                "maternity. Injury insurance is paid by the employer alone.",
            )
        )
    elif req.work_kind == "factory":
        out.append(
            _scheme(
                "employer_insurance",
                here,
                None,
                False,
                EMPLOYER_SOURCE,
                "工厂给你交社保：看工资条上的扣款，查缴费记录。",
                "The factory insures you: check the deductions on your pay slip and your record.",
            )
        )
    else:
        base = policy.contribution_base(
            req.base_pct, place.average_wage, place.floor, place.ceiling
        )
        yearly, _ = policy.yearly_flexible_contribution(base)
        out.append(
            _scheme(
                "employee_pension",
                here,
                yearly / 12,
                place.estimate,
                HUKOU_SOURCE,
                "在打工的地方以灵活就业身份交职工养老保险，外地户口也可以。",
                "Join the employees' pension where you work, as a flexible worker; "
                "a hukou from elsewhere is no bar.",
            )
        )
        c = place.city
        if c is not None:
            med = c.employee_medical_rate.value * c.pension_base_floor.value
            est = c.employee_medical_rate.estimate or c.pension_base_floor.estimate
            out.append(
                _scheme(
                    "employee_medical",
                    here,
                    med,
                    est,
                    c.employee_medical_rate.source,
                    "在打工的地方交职工医保（灵活就业）。",
                    "Join the employees' medical scheme where you work.",
                )
            )
    # The residents' pension needs its 15 years by 60: offered while they can still be paid.
    residents_last_start = policy.RESIDENTS_PENSION_AGE - policy.RESIDENTS_PENSION_MIN_YEARS
    if age <= residents_last_start and req.work_kind != "factory":
        tier = hukou.residents_pension_tiers[0] if hukou else None
        out.append(
            _scheme(
                "residents_pension",
                home,
                None if tier is None else tier / 12,
                False,
                "国发〔2014〕8号",
                "交不起职工养老，可以在户籍地交城乡居民养老：便宜，但以后领得少。",
                "If the employees' pension is too dear, the residents' pension at the "
                "hukou place is cheap, and pays little.",
            )
        )
    if hukou is not None:
        prem = hukou.residents_medical_premium_yearly
        out.append(
            _scheme(
                "residents_medical",
                home,
                prem.value / 12,
                prem.estimate,
                prem.source,
                "没有职工医保的话，每年交城乡居民医保，别断。",
                "Without employees' medical cover, pay the residents' medical "
                "insurance every year, without a gap.",
            )
        )
    if req.work_kind in ("platform_rider", "platform_driver"):
        out.append(
            _scheme(
                "injury_protection",
                here,
                0,
                False,
                INJURY_SOURCE,
                "问平台有没有给你上职业伤害保障：由平台交，你不用交。",
                "Ask the platform whether you have its occupational injury cover: "
                "the platform pays, you don't.",
            )
        )
    return out


def _step(sid: str, channel: str, zh: str, en: str) -> dict[str, Any]:
    return {"id": sid, "channel": channel, "text": {"zh": zh, "en": en}}


def _steps(
    req: PlanRequest, place: Place, short: float, retired: bool, minimum: float
) -> list[dict[str, Any]]:
    out = []
    if req.work_kind == "factory" and not req.employer_pays:
        out.append(
            _step(
                "ask_employer",
                "12333",
                "先找工厂要求参保；不给交，打12333或到当地劳动保障监察投诉。留好合同和工资条。",
                "First ask the factory to insure you; if it will not, call 12333 or "
                "complain to the labour inspectorate. Keep your contract and pay "
                "slips.",
            )
        )
    elif req.work_kind != "factory":
        out.append(
            _step(
                "register_flexible",
                "e_social_security_card",
                f"在{place.name['zh']}办灵活就业参保登记：用电子社保卡或到社保窗口，不会就打12333问。",
                f"Register as a flexible worker in {place.name['en']}: with the "
                "electronic social security card or at the office; call 12333 if "
                "unsure.",
            )
        )
    if retired or short:
        out.append(
            _step(
                "complete_years",
                "12333",
                f"职工养老要交满{minimum:g}年才能按月领：到了退休年龄还不够，可以延长缴费或一次补缴。",
                f"A monthly employees' pension needs {minimum:g} years: short at "
                "retirement age, pay on or make up the years in one sum.",
            )
        )
    out.append(
        _step(
            "check_record",
            "national_platform",
            "在国家社会保险公共服务平台查缴费记录，看看以前交的年份都在。",
            "Check your record on the national social insurance public service "
            "platform, so every year paid is there.",
        )
    )
    out.append(
        _step(
            "medical_yearly",
            "medical_insurance_app",
            "医保每年按时交，断了再交要等几个月才能报销。",
            "Pay medical insurance every year on time: after a gap there is a wait before it pays.",
        )
    )
    return out


def _documents(req: PlanRequest) -> list[dict[str, str]]:
    docs = [
        {"zh": "身份证", "en": "ID card"},
        {"zh": "本人银行卡（扣费用）", "en": "Your bank card (for payments)"},
    ]
    if req.work_kind == "factory":
        docs.append(
            {"zh": "劳动合同、工资条、考勤记录", "en": "Contract, pay slips, attendance records"}
        )
    if req.hukou_city != req.work_city:
        docs.append(
            {
                "zh": "户口本（在户籍地办居民保险）",
                "en": "Hukou booklet (for the residents' schemes at home)",
            }
        )
    return docs


FIELD_NAMES = {
    "work_city": ("在哪里打工", "where you work"),
    "hukou_city": ("户口在哪里", "your hukou place"),
    "birth_year": ("出生年份", "birth year"),
    "sex": ("性别", "sex"),
    "years_paid": ("已经交了几年", "years already paid"),
    "monthly_income": ("每月收入", "monthly income"),
    "work_kind": ("做什么工作", "kind of work"),
    "employer_pays": ("工厂交不交社保", "whether the employer pays"),
    "base_pct": ("缴费基数", "contribution base"),
    "local_average_wage": ("当地月平均工资", "local average monthly wage"),
}


def parse_request(raw: object) -> PlanRequest:
    """The request from JSON, or a :class:`PlanError` naming the first field that is wrong."""
    from pydantic import ValidationError

    if not isinstance(raw, dict):
        raise PlanError("plan/invalid", "", "请把表填完整再提交。", "Please fill in the form.")
    try:
        return PlanRequest.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        zh, en = FIELD_NAMES.get(field, (field, field))
        missing = first["type"] == "missing"
        raise PlanError(
            "plan/missing" if missing else "plan/invalid",
            field,
            f"请填“{zh}”。" if missing else f"“{zh}”填得不对，请再看一下。",
            f"Please fill in {en}." if missing else f"Please check {en}.",
        ) from None
