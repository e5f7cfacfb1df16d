"""The centre's wall: units and regions ranked by overdue then due-soon, the cases past level 2."""

from caseflow_notify.wall import HIGH_SHOWN, UNITS_SHOWN, wall

NOW = 1_000_000


def row(case_id: str, unit: str, region: str, *, deadline: int | None, warning: int | None = None,
        level: int = 0, supervised: bool = False, suspended: bool = False) -> dict:
    return {"case_id": case_id, "unit": unit, "facts": {"region": region, "address": "临平大道" * 20},
            "deadline_ms": deadline, "warning_ms": warning, "level": level, "supervised": supervised,
            "suspended": suspended}


def test_ranks_units_by_overdue_then_due_soon_and_names_them():
    rows = [row("A1", "U-A", "临平", deadline=NOW - 1),
            row("B1", "U-B", "南苑", deadline=NOW + 10, warning=NOW - 5),
            row("B2", "U-B", "南苑", deadline=NOW + 10, warning=NOW - 5),
            row("C1", "U-C", "临平", deadline=NOW - 1, suspended=True),  # suspended: never red
            row("C2", "U-C", "临平", deadline=NOW + 99)]
    out = wall(rows, NOW, {"U-A": "环卫所"}, {"new": 3, "disposed": 1, "escalated": 0}, {"临平": "临平街道"})
    assert [u["id"] for u in out["units"]] == ["U-A", "U-B", "U-C"]
    assert out["units"][0] == {"id": "U-A", "name": "环卫所", "overdue": 1, "due_soon": 0, "open": 1}
    assert out["units"][2]["name"] == "U-C" and out["units"][2]["overdue"] == 0
    assert out["totals"] == {"open": 5, "overdue": 1, "due_soon": 2, "new": 3, "disposed": 1, "escalated": 0}
    assert [(r["name"], r["overdue"], r["open"]) for r in out["regions"]] == [("临平街道", 1, 3), ("南苑", 0, 2)]


def test_lists_only_cases_past_level_two_or_supervised_and_caps_what_fits_the_screen():
    rows = [row(f"H{i:02}", "U-A", "临平", deadline=NOW - i, level=2) for i in range(HIGH_SHOWN + 3)]
    rows += [row("LOW", "U-A", "临平", deadline=NOW - 1, level=1),
             row("SUP", "U-A", "临平", deadline=NOW + 1, supervised=True)]
    rows += [row(f"X{i}", f"U-{i:02}", "临平", deadline=None) for i in range(UNITS_SHOWN)]
    out = wall(rows, NOW, {}, {})
    ids = [h["case_id"] for h in out["high"]]
    assert "LOW" not in ids and ids[0] == "SUP" and len(ids) == HIGH_SHOWN
    assert out["high_more"] == 4 and out["units_more"] == 1
    assert all(len(h["address"]) <= 40 for h in out["high"])
