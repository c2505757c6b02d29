"""A solo life in the terminal: prompt, choose, see what happened, and the end summary.

Enter (or the end of input) keeps the default, so a tap-through works and a script can play.
All game rules are in the engine; this module only asks and prints.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace

from game_server.content.schema import Job, Scenario, Sourced, Text
from game_server.engine import (
    BADGE_TEXT,
    Decide,
    Decisions,
    Hours,
    LifeState,
    MedicalChoice,
    PensionChoice,
    Phase,
    RuleViolation,
    apply,
    counterfactual,
    default_decisions,
    new_life,
    policy,
    summarize,
)
from game_server.engine.events import (
    Event,
    Happening,
    Moved,
    NewsShown,
    PayingOnEnded,
    ResidentsPensionStarted,
    ResidentsShort,
    Retired,
)

Reader = Callable[[str], str]
Writer = Callable[[str], None]

UI: Mapping[str, tuple[str, str]] = {
    "pick_scenario": ("选一个人生：", "Choose a life:"),
    "round": ("第{n}轮（共{total}轮）：{y0}–{y1}年，{a0}–{a1}岁", "Round {n} of {total}: {y0}–{y1}, age {a0}–{a1}"),
    "working": ("工作阶段", "working years"),
    "retired": ("退休阶段", "retirement"),
    "status": ("存款 {savings}　健康 {health}/100　职工养老缴费 {years} 年（最低要求 {minimum} 年）",
               "Savings {savings}   health {health}/100   employees' pension years {years} (minimum {minimum})"),
    "keep": ("回车＝沿用这些选择，输入 c＝修改：", "Enter keeps these choices, c changes them: "),
    "current": ("本轮选择：", "This round:"),
    "job": ("做什么工作？", "Which job?"),
    "hours": ("干多久？", "How hard?"),
    "part_time": ("兼职", "part time"),
    "full_time": ("全职", "full time"),
    "long_hours": ("超长工时", "long hours"),
    "pension": ("养老保险？", "Pension?"),
    "pension_none": ("不交", "none"),
    "pension_residents": ("城乡居民养老保险", "residents' pension"),
    "pension_employee": ("职工养老保险（灵活就业）", "employees' pension (flexible worker)"),
    "pension_make_up": ("缴费年限不够：补缴到最低年限", "years short: make up the minimum"),
    "tier": ("每年交多少档？", "Which yearly tier?"),
    "base": ("缴费基数（平均工资的60–300%）：", "Contribution base (60–300% of the average wage): "),
    "medical": ("医疗保险？", "Medical insurance?"),
    "medical_none": ("不交", "none"),
    "medical_residents": ("城乡居民医保 {cost}/年", "residents' medical {cost} a year"),
    "medical_employee": ("职工医保 {cost}/年", "employees' medical {cost} a year"),
    "pilot": ("平台职业伤害保障：平台出钱，你不用交。", "Platform injury protection: the platform pays, you pay nothing."),
    "accident": ("买商业意外险吗（{cost}/年）？y/n：", "Buy accident insurance ({cost} a year)? y/n: "),
    "saving": ("收入存下几成？", "How much of your income do you save?"),
    "personal": ("每年存入个人养老金多少元（0–12000）：", "Yuan a year into the personal pension (0–12,000): "),
    "refused": ("不行：{message}", "Not possible: {message}"),
    "news": ("政策新闻 {year}：{title}", "Policy news {year}: {title}"),
    "bill": ("　账单 {bill}，保险付 {covered}，自己付 {oop}", "   bill {bill}, insurance paid {covered}, you paid {oop}"),
    "waiting": ("　医保还在等待期，没有报销。", "   Medical cover was still in its waiting period: nothing paid."),
    "disabled": ("　留下了残疾，以后收入会少。", "   It left a lasting disability: you will earn less."),
    "payout": ("　拿到 {amount}", "   You received {amount}"),
    "income_lost": ("　少挣了 {amount}", "   Income lost: {amount}"),
    "moved": ("搬到了{city}；{years} 年职工养老缴费年限跟着你走。", "Moved to {city}; {years} years of employees' pension go with you."),
    "retired_employee": ("开始领职工养老金：每月 {monthly}（在{city}领取）。", "Your employees' pension starts: {monthly} a month (claimed in {city})."),
    "retired_residents": ("退休了。缴费年限不够职工养老金，转入城乡居民养老保险。", "Retired. Too few years for the employees' pension: the years moved to the residents' pension."),
    "residents_short": ("60岁了，城乡居民养老保险不满15年（{years}年），领不了。个人账户 {account} 留着，以后可以由家人继承。", "At 60 your residents' pension years fall short of 15 ({years}): no pension. The account, {account}, stays and goes to your family."),
    "residents_paying_on": ("60岁了，城乡居民养老保险还差几年：继续按年交（延缴），交满15年就开始领。", "At 60 your residents' pension is a few years short: you pay on year by year, and it starts at 15 years."),
    "employer_owed": ("老板没给你交工伤保险：按《工伤保险条例》第六十二条，这笔钱由老板按工伤保险的标准赔。打12333或找劳动保障监察。", "Your employer never insured you for work injury: under 工伤保险条例 art. 62 it owes you the benefits. Call 12333 or the labour inspection."),
    "vehicle": ("对方机动车的交强险先赔了医药费。", "The liable car's compulsory insurance (交强险) paid first."),
    "retired_nothing": ("退休了，但一分养老金也没有。", "Retired, with no pension at all."),
    "made_up": ("补缴了 {years} 年，花了 {cost}。", "Made up {years} years for {cost}."),
    "paying_on": ("缴费年限不够，存款也不够一次补齐：退休后继续按年缴费，缴满再领养老金。", "Years short and not enough savings to make them up at once: you pay on year by year after retirement age, and the pension starts when the minimum is reached."),
    "residents_started": ("{age}岁开始领城乡居民养老金：每月 {monthly}。", "From {age}: residents' pension {monthly} a month."),
    "end": ("人生结束：安全感得分 {score}/1000", "Life over: security score {score}/1000"),
    "parts": ("　晚年生活 {o}　没被难倒 {r}　健康 {h}　工作时的日子 {w}", "   old age {o}   hardship {r}   health {h}   working life {w}"),
    "lived": ("你活到了 {age} 岁。", "You lived to {age}."),
    "inherited": ("个人账户里剩下的 {amount} 留给了家人。", "{amount} left in your pension accounts went to your family."),
    "badges": ("徽章：", "Badges:"),
    "pension_line": ("每月养老金 {monthly}；一生交了 {paid}，领回 {received}", "Pension {monthly} a month; paid in {paid}, got back {received}"),
    "counterfactual": ("同样的人生，如果……", "The same life, if…"),
    "cf_insured": ("　全都参保：得分 {score}，每月养老金 {monthly}，自付账单 {oop}", "   fully insured: score {score}, pension {monthly} a month, bills paid yourself {oop}"),
    "cf_uninsured": ("　什么都不交：得分 {score}，每月养老金 {monthly}，自付账单 {oop}", "   not insured: score {score}, pension {monthly} a month, bills paid yourself {oop}"),
    "quiz": ("小测验", "Quiz"),
    "right": ("答对了！", "Right!"),
    "wrong": ("正确答案：{answer}", "The answer: {answer}"),
    "real": ("现实中怎么办：", "Do it for real:"),
}  # fmt: skip


class TerminalGame:
    def __init__(
        self, scenario: Scenario, seed: int, lang: str, read: Reader, write: Writer
    ) -> None:
        self.sc = scenario
        self.seed = seed
        self.zh = lang == "zh"
        self.read = read
        self.write = write

    # text helpers ---------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        zh, en = UI[key]
        return (zh if self.zh else en).format(**values)

    def tx(self, text: Text) -> str:
        return text.zh if self.zh else text.en

    def money(self, amount: float) -> str:
        return f"{amount:,.0f}元" if self.zh else f"¥{amount:,.0f}"

    def job_label(self, job: Job) -> str:
        """The job's name, with its city when the name does not already say it."""
        name, city = self.tx(job.name), self.tx(self.sc.city(job.city).name)
        if city in name:
            return name
        return f"{name}（{city}）" if self.zh else f"{name} ({city})"

    def amount(self, value: float, *sources: Sourced) -> str:
        """Money from the scenario: marked as an estimate (约 / ≈) when any source is one."""
        text = self.money(value)
        if any(source.estimate for source in sources):
            return ("约" if self.zh else "≈") + text
        return text

    def ask(self, prompt: str) -> str:
        try:
            return self.read(prompt).strip()
        except EOFError:
            return ""

    def choose(self, title: str, options: list[str], default: int) -> int:
        self.write(title)
        for i, option in enumerate(options):
            mark = " *" if i == default else ""
            self.write(f"  {i + 1}) {option}{mark}")
        answer = self.ask("> ")
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1
        return default

    # the game -------------------------------------------------------------------------------

    def run(self) -> LifeState:
        self.write(f"\n== {self.tx(self.sc.title)} ==\n{self.tx(self.sc.persona.story)}\n")
        state = new_life(self.sc, self.seed)
        while not state.finished:
            state = self.play_round(state)
        self.finish(state)
        return state

    def play_round(self, state: LifeState) -> LifeState:
        stage = state.stages[state.round]
        retirement_year = state.year + state.retirement_age - state.age
        self.write(
            "\n"
            + self.t(
                "round",
                n=stage.index + 1,
                total=len(state.stages),
                y0=state.year,
                y1=state.year + stage.years - 1,
                a0=stage.start_age,
                a1=stage.end_age - 1,
            )
            + (f"（{self.t(stage.phase.value)}）" if self.zh else f" ({self.t(stage.phase.value)})")
        )
        self.write(
            self.t(
                "status",
                savings=self.money(state.savings),
                health=round(state.health),
                years=f"{state.pensions.employee_years:g}",
                minimum=f"{policy.minimum_contribution_years(retirement_year):g}",
            )
        )
        decisions = default_decisions(self.sc, state)
        self.write(self.t("current") + " " + self.describe(decisions))
        if self.ask(self.t("keep")).lower().startswith("c"):
            decisions = self.edit(state, decisions)
        while True:
            result = apply(self.sc, state, Decide(state.round, decisions))
            if not isinstance(result, RuleViolation):
                break
            self.write(self.t("refused", message=result.message))
            decisions = self.edit(state, default_decisions(self.sc, state))
        for event in result.events:
            self.show(event)
        return result.state

    def describe(self, d: Decisions) -> str:
        parts: list[str] = []
        if d.job is not None:
            parts.append(f"{self.tx(self.sc.job(d.job).name)}·{self.t(d.hours.value)}")
        pension = {
            PensionChoice.NONE: self.t("pension_none"),
            PensionChoice.RESIDENTS: f"{self.t('pension_residents')} {d.residents_tier}",
            PensionChoice.EMPLOYEE: f"{self.t('pension_employee')} {d.pension_base_pct}%",
        }[d.pension]
        parts.append(f"{self.t('pension')} {pension}")
        parts.append(f"{self.t('medical')} {self.t('medical_' + d.medical.value, cost='').strip()}")
        if d.accident_insurance:
            parts.append("+accident")
        parts.append(f"{self.t('saving')} {d.saving_rate}%")
        return "; ".join(parts)

    def edit(self, state: LifeState, d: Decisions) -> Decisions:
        stage = state.stages[state.round]
        working = stage.phase is Phase.WORKING
        if working:
            jobs = list(self.sc.jobs)
            current = next((i for i, j in enumerate(jobs) if j.id == d.job), 0)
            i = self.choose(
                self.t("job"),
                [
                    f"{self.job_label(j)} {self.amount(j.monthly_income_full_time.value, j.monthly_income_full_time)}"
                    + ("/月" if self.zh else "/month")
                    for j in jobs
                ],
                current,
            )
            job = jobs[i]
            hours = list(Hours)
            h = self.choose(self.t("hours"), [self.t(x.value) for x in hours], hours.index(d.hours))
            d = replace(d, job=job.id, hours=hours[h])
            city = self.sc.city(job.city)
            options = [PensionChoice.NONE, PensionChoice.RESIDENTS, PensionChoice.EMPLOYEE]
            labels = [
                self.t("pension_none"),
                self.t("pension_residents"),
                self.t("pension_employee"),
            ]
            p = options[self.choose(self.t("pension"), labels, options.index(d.pension))]
            d = replace(d, pension=p)
            if p is PensionChoice.RESIDENTS:
                tiers = list(city.residents_pension_tiers)
                current_tier = tiers.index(d.residents_tier) if d.residents_tier in tiers else 0
                k = self.choose(self.t("tier"), [self.money(x) for x in tiers], current_tier)
                d = replace(d, residents_tier=tiers[k])
            elif p is PensionChoice.EMPLOYEE:
                answer = self.ask(self.t("base"))
                if answer.isdigit():
                    d = replace(d, pension_base_pct=int(answer))
        else:
            pension_labels = [self.t("pension_none"), self.t("pension_make_up")]
            choice = [PensionChoice.NONE, PensionChoice.EMPLOYEE]
            default = 1 if d.pension is PensionChoice.EMPLOYEE else 0
            d = replace(d, pension=choice[self.choose(self.t("pension"), pension_labels, default)])
            city = self.sc.city(state.city or self.sc.persona.hukou_city)
        med = [MedicalChoice.NONE, MedicalChoice.RESIDENTS, MedicalChoice.EMPLOYEE]
        med_labels = [
            self.t("medical_none"),
            self.t(
                "medical_residents",
                cost=self.amount(
                    city.residents_medical_premium_yearly.value,
                    city.residents_medical_premium_yearly,
                ),
            ),
            self.t(
                "medical_employee",
                cost=self.amount(
                    city.employee_medical_rate.value * city.pension_base_floor.value * 12,
                    city.employee_medical_rate,
                    city.pension_base_floor,
                ),
            ),
        ]
        d = replace(
            d, medical=med[self.choose(self.t("medical"), med_labels, med.index(d.medical))]
        )
        if working:
            job = self.sc.job(d.job or self.sc.defaults.job)
            pilot = job.injury_pilot_from_year
            if pilot is not None and state.year >= pilot.value:
                self.write(self.t("pilot"))
            premium_sourced = self.sc.commercial_accident_insurance.premium_yearly
            premium = self.amount(premium_sourced.value, premium_sourced)
            answer = self.ask(self.t("accident", cost=premium)).lower()
            if answer:
                d = replace(d, accident_insurance=answer.startswith("y"))
            rates = [0, 10, 20, 30]
            current_rate = rates.index(d.saving_rate) if d.saving_rate in rates else 1
            r = self.choose(self.t("saving"), [f"{x}%" for x in rates], current_rate)
            d = replace(d, saving_rate=rates[r])
            if d.pension is not PensionChoice.NONE:
                answer = self.ask(self.t("personal"))
                if answer.isdigit():
                    d = replace(d, personal_pension=int(answer))
        return d

    def show(self, event: Event) -> None:
        if isinstance(event, NewsShown):
            news = next(n for n in self.sc.news if n.id == event.news_id)
            self.write(self.t("news", year=news.year, title=self.tx(news.title)))
        elif isinstance(event, Happening):
            ev = next(e for e in self.sc.events if e.id == event.event_id)
            self.write(f"* {event.year} · {self.tx(ev.title)}: {self.tx(ev.story)}")
            if event.bill:
                self.write(
                    self.t(
                        "bill",
                        bill=self.money(event.bill),
                        covered=self.money(event.covered),
                        oop=self.money(event.out_of_pocket),
                    )
                )
            if event.waiting_period:
                self.write(self.t("waiting"))
            if event.income_lost:
                self.write(self.t("income_lost", amount=self.money(event.income_lost)))
            if event.payout:
                self.write(self.t("payout", amount=self.money(event.payout)))
            if event.disabled:
                self.write(self.t("disabled"))
            if event.vehicle_liable:
                self.write(self.t("vehicle"))
            if event.employer_owed:
                self.write(self.t("employer_owed"))
        elif isinstance(event, Moved):
            city = self.tx(self.sc.city(event.to_city).name)
            self.write(self.t("moved", city=city, years=f"{event.employee_years_carried:g}"))
        elif isinstance(event, Retired):
            if event.made_up_years:
                self.write(
                    self.t(
                        "made_up",
                        years=f"{event.made_up_years:g}",
                        cost=self.money(event.make_up_cost),
                    )
                )
            self.show_pension(event.outcome, event.employee_monthly, event.claim_city)
        elif isinstance(event, PayingOnEnded):
            self.show_pension(event.outcome, event.employee_monthly, None)
        elif isinstance(event, ResidentsPensionStarted):
            if event.made_up_years:
                self.write(
                    self.t(
                        "made_up", years=event.made_up_years, cost=self.money(event.make_up_cost)
                    )
                )
            self.write(
                self.t("residents_started", age=event.age, monthly=self.money(event.monthly))
            )
        elif isinstance(event, ResidentsShort):
            if event.paying_on:
                self.write(self.t("residents_paying_on"))
            else:
                account = self.money(event.account)
                self.write(self.t("residents_short", years=event.years, account=account))

    def show_pension(self, outcome: str, monthly: float, claim: str | None) -> None:
        if outcome == "paying_on":
            self.write(self.t("paying_on"))
        elif outcome == "employee_pension":
            city = self.tx(self.sc.city(claim).name) if claim else "—"
            self.write(self.t("retired_employee", monthly=self.money(monthly), city=city))
        elif outcome in ("residents_pension", "to_residents"):
            self.write(self.t("retired_residents"))
        else:
            self.write(self.t("retired_nothing"))

    def finish(self, state: LifeState) -> None:
        summary = summarize(self.sc, state)
        p = summary.parts
        self.write("\n" + self.t("end", score=summary.score))
        self.write(self.t("parts", o=p.old_age, r=p.hardship, h=p.health, w=p.working_life))
        self.write(self.t("lived", age=summary.death_age))
        if summary.inherited_account > 0:
            self.write(self.t("inherited", amount=self.money(summary.inherited_account)))
        self.write(
            self.t(
                "pension_line",
                monthly=self.money(summary.monthly_pension),
                paid=self.money(summary.paid_in),
                received=self.money(summary.received),
            )
        )
        if summary.badges:
            titles = [BADGE_TEXT[b][0 if self.zh else 1] for b in summary.badges]
            self.write(self.t("badges") + " " + "、".join(titles))
        cf = counterfactual(self.sc, state)
        self.write("\n" + self.t("counterfactual"))
        for key, other in (("cf_insured", cf.insured), ("cf_uninsured", cf.uninsured)):
            self.write(
                self.t(
                    key,
                    score=other.score,
                    monthly=self.money(other.monthly_pension),
                    oop=self.money(other.out_of_pocket),
                )
            )
        self.write("\n" + self.t("quiz"))
        for q in self.sc.quiz[:3]:
            i = self.choose(self.tx(q.question), [self.tx(o) for o in q.options], -1)
            self.write(
                self.t("right")
                if i == q.answer
                else self.t("wrong", answer=self.tx(q.options[q.answer]))
            )
            self.write(self.tx(q.explanation))
        self.write("\n" + self.t("real"))
        for card in self.sc.real_world:
            self.write(f"- {self.tx(card.title)}: {self.tx(card.steps)}")


def run_terminal_game(
    scenarios: Mapping[str, Scenario],
    lang: str = "zh",
    scenario_id: str | None = None,
    seed: int | None = None,
    read: Reader = input,
    write: Writer = print,
) -> int:
    ordered = list(scenarios.values())
    if scenario_id is None:
        zh = lang == "zh"
        write(UI["pick_scenario"][0 if zh else 1])
        for i, s in enumerate(ordered):
            write(f"  {i + 1}) {s.title.zh if zh else s.title.en}")
        try:
            answer = read("> ").strip()
        except EOFError:
            answer = ""
        index = int(answer) - 1 if answer.isdigit() and 1 <= int(answer) <= len(ordered) else 0
        scenario = ordered[index]
    else:
        scenario = scenarios[scenario_id]
    TerminalGame(
        scenario, seed if seed is not None else secrets.randbits(32), lang, read, write
    ).run()
    return 0
