"""The rules file (config/rules_file.py): every setting changes the result it names, and a wrong
value is refused with the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caseflow.config.rules import load_rules
from caseflow.config.schemes import ConfigError, load_schemes
from caseflow.config.units import parse_directory
from caseflow.domain.alerts import plan_alerts
from caseflow.domain.rules import Rules
from caseflow.domain.schemes import score_units
from caseflow.evaluation.periods import make_period
from caseflow.replay.engine import replay
from tests.support.events import ev, lines, ms
from tests.unit.test_alerts import opened, state

UNITS = parse_directory({"units": [{"id": "U1", "class": 1}], "regions": [{"id": "linping"}]}, "test")
OCT = make_period("2026-10", None, None, None)


def rules_with(tmp_path: Path, text: str) -> Rules:
    path = tmp_path / "rules.yaml"
    path.write_text(text, "utf-8")
    return load_rules(rules_file=path)


def month_of(events: list[dict[str, Any]], rules: Rules):  # type: ignore[no-untyped-def]
    return replay(lines(events), OCT, rules, UNITS, load_schemes())


def test_no_file_is_the_rulebooks_defaults() -> None:
    rules = load_rules()
    assert rules.calendar.windows == ((8 * 3_600_000, 12 * 3_600_000), (14 * 3_600_000, 18 * 3_600_000))
    assert rules.repeat_excluded_codes == {("02", "01")} and rules.engineering_codes == frozenset()
    assert (rules.lateness, rules.alerts.warning_fraction, rules.alerts.repeat_interval) == (
        600_000, 0.8, 4 * 3_600_000)


def test_working_windows_move_the_deadline(tmp_path: Path, rules: Rules) -> None:
    events = [ev("reported", "A", "2026-10-12 08:00"), ev("filed", "A", "2026-10-12 08:05"),
              ev("dispatched", "A", "2026-10-12 11:00", unit="U1", time_limit={"value": 2, "unit": "working_hours"}),
              ev("disposed", "A", "2026-10-12 14:45", unit="U1")]
    # default windows: 11:00-12:00 and 14:00-15:00, deadline 15:00, disposed 14:45 on time
    assert month_of(events, rules).indicators.units["U1"]["on_time"] == 1
    early = rules_with(tmp_path, 'working_windows: ["09:00-12:00", "13:00-14:00"]')
    # 11:00-12:00 and 13:00-14:00: deadline 14:00, disposed 14:45 is late
    assert month_of(events, early).indicators.units["U1"]["on_time"] == 0
    assert early.calendar.day_length == 4 * 3_600_000  # a working day is the windows' length


def test_lateness_bound_decides_what_a_late_event_is(tmp_path: Path, rules: Rules) -> None:
    events = [ev("reported", "A", "2026-10-12 08:00"), ev("filed", "A", "2026-10-12 09:00"),
              ev("verified", "A", "2026-10-12 08:45")]  # 15 minutes before the case's latest event
    assert [r.reason for r in month_of(events, rules).rejected] == ["too_late"]
    lenient = rules_with(tmp_path, "lateness_minutes: 20")
    assert month_of(events, lenient).rejected == []


def test_engineering_codes_leave_extensions_uncounted(tmp_path: Path, rules: Rules) -> None:
    events = [ev("reported", "A", "2026-10-12 08:00", major="05", minor="03"), ev("filed", "A", "2026-10-12 08:05"),
              ev("dispatched", "A", "2026-10-12 09:00", unit="U1", time_limit={"value": 2, "unit": "working_days"}),
              ev("extended", "A", "2026-10-12 10:00", unit="U1", extra={"value": 5, "unit": "working_days"})]
    assert month_of(events, rules).indicators.units["U1"]["extended"] == 1
    listed = rules_with(tmp_path, 'engineering_codes: ["05/03"]')
    assert month_of(events, listed).indicators.units["U1"]["extended"] == 0
    named = rules_with(tmp_path, 'engineering_subtypes: {道路破损: "05/03", 树池: ["02/31", "02/32"]}')
    assert named.engineering_codes == {("05", "03"), ("02", "31"), ("02", "32")}
    assert month_of(events, named).indicators.units["U1"]["extended"] == 0


def test_repeat_excluded_codes(tmp_path: Path, rules: Rules) -> None:
    events: list[dict[str, Any]] = []
    for i, day in enumerate(("12", "13", "14")):
        cid = f"R{i}"
        events += [ev("reported", cid, f"2026-10-{day} 08:00", major="02", minor="01", road_grade="secondary"),
                   ev("filed", cid, f"2026-10-{day} 08:05"),
                   ev("dispatched", cid, f"2026-10-{day} 09:00", unit="U1")]
    assert month_of(events, rules).indicators.units["U1"]["repeat"] == 0  # 02/01 excluded by default
    nothing_excluded = rules_with(tmp_path, "repeat_excluded_codes: []")
    assert month_of(events, nothing_excluded).indicators.units["U1"]["repeat"] == 1  # the third on a secondary road


def test_alert_timing(tmp_path: Path, rules: Rules) -> None:
    s = state(rules, opened())  # 4 working hours from 09:20: deadline 15:20
    custom = rules_with(tmp_path, "alerts: {warning_fraction: 0.5, reminder_interval_hours: 1}")
    assert [a.at for a in plan_alerts(s, ms("2026-09-29 15:00"), rules) if a.type == "deadline_warning"] == [
        ms("2026-09-29 14:32")]
    assert [a.at for a in plan_alerts(s, ms("2026-09-29 15:00"), custom) if a.type == "deadline_warning"] == [
        ms("2026-09-29 11:20")]  # half of 4 working hours
    level1 = [a.at for a in plan_alerts(s, ms("2026-09-29 17:19"), custom) if a.type == "overdue"]
    assert level1 == [ms("2026-09-29 15:20"), ms("2026-09-29 16:20")]  # level 2 starts 17:20
    assert len([a for a in plan_alerts(s, ms("2026-09-29 17:19"), rules) if a.type == "overdue"]) == 1


def test_a_scheme_may_count_basically_satisfied(tmp_path: Path, rules: Rules) -> None:
    events = [ev("reported", "A", "2026-10-12 08:00"), ev("filed", "A", "2026-10-12 08:05"),
              ev("dispatched", "A", "2026-10-12 09:00", unit="U1"), ev("disposed", "A", "2026-10-12 10:00", unit="U1"),
              ev("visited", "A", "2026-10-13 10:00", result="satisfied"),
              ev("visited", "A", "2026-10-14 10:00", result="basically_satisfied")]
    row = month_of(events, rules).indicators.units["U1"]
    assert (row["visits"], row["satisfied"], row["basically_satisfied"], row["satisfaction_rate"]) == (2, 1, 1, 0.5)
    (tmp_path / "s.yaml").write_text("id: strict\nterms: [{weight: 100, key: satisfaction_rate}]\n", "utf-8")
    (tmp_path / "l.yaml").write_text("id: lenient\nsatisfied_includes_basically: true\n"
                                     "terms: [{weight: 100, key: satisfaction_rate}]\n", "utf-8")
    schemes = load_schemes(tmp_path)
    assert score_units(schemes["strict"], {"U1": row}, {})["U1"]["score"] == 50.0
    assert score_units(schemes["lenient"], {"U1": row}, {})["U1"]["score"] == 100.0


@pytest.mark.parametrize(("text", "message"), [
    ("working_windows: [\"8-12\"]", "working_windows: '8-12' is not a window; write \"HH:MM-HH:MM\""),
    ("working_windows: [\"14:00-18:00\", \"08:00-12:00\"]", "list windows in order"),
    ("working_windows: [\"12:00-08:00\"]", "a window starts before it ends"),
    ("working_windows: []", "give at least one window"),
    ("lateness_minutes: -1", "lateness_minutes: Input should be greater than or equal to 0"),
    ("engineering_codes: [\"0503\"]", "engineering_codes: '0503' is not a code; write major/minor"),
    ("engineering_subtypes: {马路破损: \"05/03\"}",
     "马路破损: not an engineering subtype the rules name; known: 道路破损、"),
    ("engineering_subtypes: {树池: \"0231\"}", "'0231' is not a code; write major/minor"),
    ("alerts: {warning_fraction: 80}", "alerts.warning_fraction: Input should be less than 1"),
    ("alerts: {reminder_hours: 2}", "alerts.reminder_hours: not a setting"),
    ("warning_fraction: 0.7", "warning_fraction: not a setting of the rules file (known: working_windows"),
    ("- 1", "expected a mapping of settings"),
])
def test_a_wrong_setting_names_the_file_key_and_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        rules_with(tmp_path, text)
    assert str(err.value).startswith(str(tmp_path / "rules.yaml")) and message in str(err.value), str(err.value)


def test_a_missing_rules_file_says_which_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the rules file .*nope\.yaml.*CASEFLOW_RULES_FILE"):
        load_rules(rules_file=tmp_path / "nope.yaml")


@pytest.mark.parametrize("service", ["dispatch", "scoring", "notify"])
def test_a_service_refuses_to_start_on_a_wrong_rules_file(tmp_path: Path, service: str) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "rules.yaml").write_text("alerts: {warning_fraction: 1.5}\n", "utf-8")
    env = {**os.environ, "CASEFLOW_RULES_FILE": str(tmp_path / "rules.yaml"), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "CASEFLOW_API_KEYS": "platform:k"}
    out = subprocess.run([sys.executable, "-m", "caseflow.cli", service, "--port", "9"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1] == (
        f"caseflow {service}: {tmp_path / 'rules.yaml'}: alerts.warning_fraction: Input should be less than 1 "
        "(got 1.5)")
