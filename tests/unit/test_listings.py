"""Listing schemes (rules §7): values, targets, pass/fail, null, 试运行 (trial months), and the audit's
comparison of listings."""

from __future__ import annotations

from pathlib import Path

import pytest

from caseflow.config.schemes import load_schemes
from caseflow.config.units import parse_directory
from caseflow.domain.indicators import Indicators
from caseflow.domain.schemes import listing_row
from caseflow.evaluation.listings import listings_of
from caseflow.evaluation.periods import make_period
from caseflow.replay.audit import compare

SCHEMES = load_schemes()


@pytest.mark.parametrize(("rate", "in_trial", "passed", "status"), [
    (0.99, False, True, "pass"),
    (0.98, False, True, "pass"),  # the target itself passes (>= 98%)
    (0.9799, False, False, "fail"),
    (None, False, None, None),  # nothing due: nothing to judge
    (0.5, True, False, "trial"),  # 试运行 rather than failed
    (0.99, True, True, "trial"),
])
def test_yuhang_verdicts(rate: float | None, in_trial: bool, passed: bool | None, status: str | None) -> None:
    row = listing_row(SCHEMES["yuhang-2019"], {"timely_resolution_rate": rate}, in_trial)
    assert row == {"indicators": {"timely_resolution_rate": {"value": rate, "target": 0.98, "pass": passed}},
                   "status": status}


def test_a_listing_without_targets_shows_values_only() -> None:
    row = listing_row(SCHEMES["city-department"], {"supervised": 3, "repeat_rate": None, "rework_rate": 0.1,
                                                   "extension_rate": 0.0, "satisfaction_rate": 1.0})
    assert row["status"] is None
    assert row["indicators"]["repeat_rate"] == {"value": None}
    assert list(row["indicators"]) == ["supervised", "repeat_rate", "rework_rate", "extension_rate",
                                       "satisfaction_rate"]


def test_zhejiang_lists_the_regions_on_time_rate() -> None:
    row = listing_row(SCHEMES["zhejiang-region"], {"active_discovery_rate": 0.6, "on_time_rate": 0.9,
                                                   "resolution_rate": 0.8, "collector_filing_rate": 0.69})
    assert row["indicators"]["on_time_rate"] == {"value": 0.9}
    assert row["indicators"]["collector_filing_rate"] == {"value": 0.69, "target": 0.7, "pass": False}
    assert row["status"] == "fail"


REGION = {"timely_resolution_rate": 0.5}


@pytest.mark.parametrize(("trial_until", "period", "status"), [
    ("2026-10", "2026-10", "trial"),  # the trial ends on the period's last day
    ("2026-09", "2026-10", "fail"),  # ended the month before
    ("2026-11", "2026-10", "trial"),
    ("2026-03", "2026", "trial"),  # a year that begins within the trial
    ("2025-12", "2026", "fail"),
    (None, "2026-10", "fail"),
])
def test_trial_months_from_the_units_file(trial_until: str | None, period: str, status: str) -> None:
    region = {"id": "R1", **({"trial_until": trial_until} if trial_until else {})}
    directory = parse_directory({"units": [], "regions": [region]}, "test")
    indicators = Indicators(units={}, regions={"R1": REGION})
    out = listings_of(indicators, make_period(period, None, None, None), directory, SCHEMES)
    assert out["yuhang-2019"]["rows"]["R1"]["status"] == status
    assert out["yuhang-2019"]["on"] == "regions" and set(out) == {"city-department", "yuhang-2019", "zhejiang-region"}


def test_a_wrong_trial_month_is_refused(tmp_path: Path) -> None:
    from caseflow.config.schemes import ConfigError

    with pytest.raises(ConfigError, match=r'regions\[0\] \(R1\)\.trial_until: the last month of the trial, quoted'):
        parse_directory({"regions": [{"id": "R1", "trial_until": "2026-13"}]}, "units.yaml")


def test_the_audit_compares_listings() -> None:
    def doc(rate: float, status: str) -> dict[str, object]:
        return {"units": {}, "regions": {}, "listings": {"yuhang-2019": {"on": "regions", "rows": {"R1": {
            "indicators": {"timely_resolution_rate": {"value": rate, "target": 0.98, "pass": rate >= 0.98}},
            "status": status}}}}}

    assert compare(doc(0.99, "pass"), doc(0.99, "pass")) == []
    keys = {(d.scope, d.id, d.key) for d in compare(doc(0.99, "pass"), doc(0.5, "fail"))}
    assert keys == {("region", "R1", "listings.yuhang-2019.status"),
                    ("region", "R1", "listings.yuhang-2019.timely_resolution_rate.value"),
                    ("region", "R1", "listings.yuhang-2019.timely_resolution_rate.pass")}


@pytest.mark.parametrize(("period", "kind", "status", "passed"), [
    ("2026", "year", "fail", False),  # zhejiang-region judges the year
    ("2026-10", "month", "progress", None),  # a month of it: progress toward the year's verdict (进度)
    ("2026-Q4", "quarter", "progress", None),
    ("2026-10-08", "day", "progress", None),
])
def test_a_scheme_judges_only_its_periods(period: str, kind: str, status: str, passed: bool | None) -> None:
    from caseflow.evaluation.periods import kind_of

    bounds = make_period(period, None, None, None)
    assert kind_of(bounds) == kind
    directory = parse_directory({"units": [], "regions": [{"id": "R1"}]}, "test")
    rates = {"active_discovery_rate": 0.6, "on_time_rate": 0.9, "resolution_rate": 0.8, "collector_filing_rate": 0.69}
    listing = listings_of(Indicators(units={}, regions={"R1": rates}), bounds, directory, SCHEMES)["zhejiang-region"]
    assert listing["judged_in"] == ["year"] and listing["progress"] == (kind != "year")
    row = listing["rows"]["R1"]
    assert row["status"] == status
    assert row["indicators"]["collector_filing_rate"] == {"value": 0.69, "target": 0.7, "pass": passed}


def test_a_range_is_no_named_period() -> None:
    from caseflow.evaluation.periods import kind_of

    assert kind_of(make_period(None, "2026-10-01", "2026-10-15", None)) == "range"
    assert kind_of(make_period(None, "2026-10-01T08:00", "2026-11-01T08:00", None)) == "range"


@pytest.mark.parametrize(("period", "months"), [
    ("2026", [f"2026-{m:02d}" for m in range(1, 13)]), ("2026-Q4", ["2026-10", "2026-11", "2026-12"]),
    ("2026-Q1", ["2026-01", "2026-02", "2026-03"]), ("2026-10", ["2026-10"]), ("2026-10-08", []),
])
def test_the_months_a_named_period_covers(period: str, months: list[str]) -> None:
    from caseflow.evaluation.periods import months_in

    assert months_in(period) == months


def test_a_period_that_is_none_has_no_months() -> None:
    from caseflow.evaluation.periods import PeriodError, months_in

    with pytest.raises(PeriodError, match="YYYY-Qn"):
        months_in("2026-Q5")
