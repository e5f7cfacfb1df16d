"""Overdue risk, measured (#35): learn from one generated month, forecast the next at several instants,
and score the forecasts against what happened, beside two baselines computed in the same run.

    .venv/bin/python benchmarks/forecast_quality.py                       # 20,000 cases a month, 3 seeds
    .venv/bin/python benchmarks/forecast_quality.py --cases 4000 --runs 1 # a quick look

The months are generated with units that differ in how fast and how evenly they dispose (Shape.unit_speeds).
At every instant (each working day of the second month at 10:00 and 15:00) every assignment open and not
yet past its deadline is forecast; its outcome is read from the months' full history (late: the cycle open
then was disposed after the deadline in force at its disposal, or never disposed). Reported: Brier score
and skill over the better baseline, a reliability table (predicted vs observed, by tenth of probability),
and the share of late assignments flagged
(p_late >= --flag) a working day before their deadline, beside the traffic light's share at that moment.
Baselines: the unit's own late rate (from the same history), and the traffic light read as a forecast
(the late rate of past assignments that were green, or that turned yellow). Writes
bench-results/forecast_quality.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from results import write_results
from tqdm import tqdm

from caseflow.config.rules import load_rules
from caseflow.config.units import parse_directory
from caseflow.domain import asof
from caseflow.domain.calendar import date_to_day, day_start
from caseflow.domain.rules import Rules
from caseflow.domain.state import Assignment, CaseState
from caseflow.forecast.model import STRENGTH, Model
from caseflow.forecast.quality import brier, light_rates, reliability, skill, unit_rates
from caseflow.forecast.risk import risks
from caseflow.forecast.samples import samples_of
from caseflow.instants import SHANGHAI, to_ms
from caseflow.replay.forecasting import forecast_at, in_time_order, model_at, states_at
from caseflow.sample.generate import Shape, generate, unit_ids

ROOT = Path(__file__).resolve().parents[1]
HOUR = 3_600_000
REFIT = 12 * HOUR


def instants(year: int, month: int, rules: Rules) -> list[int]:
    """Each working day of the month at 10:00 and 15:00 (Asia/Shanghai), before its 28th (the data's end)."""
    out = []
    for d in range(1, 28):
        day = date_to_day(datetime(year, month, d).date())
        if rules.calendar.is_workday(day):
            out += [day_start(day) + 10 * HOUR, day_start(day) + 15 * HOUR]
    return out


def outcome_after(a: Assignment, t: int) -> bool | None:
    """Whether the cycle open at `t` ended late: its next disposal after `t` came after the deadline then
    in force, or it never came (None: returned, or suspended at the data's end)."""
    for at, disposed in a.disposals:
        if at > t and disposed:
            return at > asof.deadline_at(a, at)
    if a.returned_at is not None or a.is_suspended:
        return None
    return True


def one_run(args: argparse.Namespace, seed: int, rules: Rules) -> dict[str, Any]:
    shape = dict(cases=args.cases, units=args.units, regions=4, unit_speeds=args.spread)
    lines = [*generate(Shape(**shape, month=10, seed=seed)), *generate(Shape(**shape, month=11, seed=seed + 1))]
    events, _ = in_time_order(lines)
    directory = parse_directory({"units": [{"id": u, "class": c} for u, c in unit_ids(Shape(units=args.units))],
                                 "regions": []}, "benchmark")
    end = to_ms(datetime(2026, 12, 31, tzinfo=SHANGHAI))
    (_, final), = states_at(events, [end], rules)
    truth = {(c.case_id, a.seq): a for c in final for a in c.assignments}
    points = instants(2026, 11, rules)
    rows: list[tuple[float, float, float, bool]] = []  # model, unit rate, light, outcome
    began = time.perf_counter()
    for t, cases in tqdm(states_at(events, points, rules), total=len(points), desc="instants", leave=False):
        history = samples_of(cases, t, rules.calendar)
        by_unit, city = unit_rates(history)
        green, yellow = light_rates(history, rules.warning_fraction)
        for r in forecast_at(cases, t, rules, directory.unit_class, strength=args.strength):
            outcome = outcome_after(truth[(r.case_id, r.seq)], t)
            if outcome is None or r.p_late is None or r.share >= 1.0 or r.dispatched_at < points[0] - 24 * HOUR:
                continue
            light = yellow if r.share >= rules.warning_fraction else green
            rows.append((r.p_late, by_unit.get(r.unit, city), light, outcome))
    seconds = time.perf_counter() - began
    late = [y for *_, y in rows]
    scores = {name: brier([row[i] for row in rows], late) for i, name in enumerate(("model", "unit_rate", "light"))}
    better = min(scores["unit_rate"], scores["light"])
    table = reliability([row[0] for row in rows], late)
    flagged = flags_a_day_ahead(events, final, rules, directory.unit_class, args.flag, args.strength)
    return {"seed": seed, "forecasts": len(rows), "late_share": sum(late) / len(late), "instants": len(points),
            "seconds": round(seconds, 1), "brier": scores, "skill_over_better_baseline": skill(scores["model"], better),
            "reliability": [d.__dict__ for d in table],
            "worst_calibration_points": max((abs(d.predicted - d.observed) * 100 for d in table if d.cases >= 200),
                                            default=float("nan")),
            **flagged}


def flags_a_day_ahead(events: list[Any], final: list[CaseState], rules: Rules, unit_class: dict[str, int],
                      threshold: float, strength: float) -> dict[str, Any]:
    """For every assignment of the second month whose first deadline passed before it was disposed: was it
    flagged a working day before that deadline (by the model, p_late >= threshold; by the light, yellow or
    red)? Forecast once per distinct instant (the hour)."""
    month = to_ms(datetime(2026, 11, 1, tzinfo=SHANGHAI))
    when: dict[int, set[tuple[str, int]]] = {}
    for case in final:
        for a in case.assignments:
            if a.dispatched_at < month:
                continue
            t = rules.calendar.subtract_working(asof.deadline_at(a, a.dispatched_at), rules.calendar.day_length)
            t = t // HOUR * HOUR
            if t > a.dispatched_at and outcome_after(a, t):  # limits under a working day cannot be flagged
                when.setdefault(t, set()).add((case.case_id, a.seq))
    model = light = total = 0
    learnt: tuple[int, Model] | None = None
    for t, cases in states_at(events, when, rules):
        if learnt is None or t - learnt[0] > REFIT:  # live refits every 10 minutes; here twice a day will do
            learnt = (t, model_at(cases, t, rules, unit_class, strength))
        for r in risks(learnt[1], [c for c in cases if c.case_id in {k for k, _ in when[t]}], t, rules.calendar):
            if (r.case_id, r.seq) in when[t] and r.share < 1.0 and r.p_late is not None:
                total += 1
                model += r.p_late >= threshold
                light += r.share >= rules.warning_fraction
    return {"late_with_a_day_ahead": total, "flagged_a_day_ahead": model / max(1, total),
            "light_yellow_a_day_ahead": light / max(1, total)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=20000, help="cases a month")
    ap.add_argument("--units", type=int, default=30)
    ap.add_argument("--spread", type=float, default=0.8, help="how much units differ (Shape.unit_speeds)")
    ap.add_argument("--flag", type=float, default=0.5, help="p_late at which a case counts as flagged")
    ap.add_argument("--strength", type=float, default=STRENGTH, help="shrinkage toward the wider group "
                                                                     "(pseudo-assignments; the model's default)")
    ap.add_argument("--runs", type=int, default=3, help="runs, each with its own seed")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "forecast_quality.json")
    args = ap.parse_args()
    rules = load_rules()
    runs = [one_run(args, 100 + 10 * i, rules) for i in range(args.runs)]
    for r in runs:
        print(json.dumps({k: v for k, v in r.items() if k != "reliability"}))
    medians = {k: statistics.median(r[k] for r in runs) for k in (
        "skill_over_better_baseline", "worst_calibration_points", "flagged_a_day_ahead", "light_yellow_a_day_ahead")}
    medians |= {f"brier_{k}": statistics.median(r["brier"][k] for r in runs) for k in ("model", "unit_rate", "light")}
    print("reliability (first run): predicted range, cases, mean predicted, observed")
    for d in runs[0]["reliability"]:
        print(f"  {d['low']:.1f}-{d['high']:.1f}  {d['cases']:6d}  {d['predicted']:.3f}  {d['observed']:.3f}")
    print("medians:", json.dumps(medians))
    write_results(args.out, {"runs": runs, "medians": medians, "args": vars(args) | {"out": str(args.out)}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
