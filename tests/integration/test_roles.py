"""Who may do what (README "Who may do what"), each role against each service's real app on real
PostgreSQL and Kafka: platform sends events; operator (assessor) and approver change what their role
allows; reader reads everything and changes nothing; a unit reads its own and nothing of another's;
a link token from a robot message is a unit's, expires, and is revoked by an operator."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from caseflow.access.links import link_token
from caseflow.infra import topics
from caseflow.infra.settings import Settings
from caseflow.sample.generate import Shape, units_yaml
from caseflow_intake.main import bootstrap as intake_app
from caseflow_notify.main import bootstrap as notify_app
from caseflow_scoring.main import bootstrap as scoring_app

KEYS = {name: {"X-API-Key": f"{name}-key"} for name in ("platform", "operator", "approver", "reader")}
U0, U1 = {"Authorization": "Bearer u0-token"}, {"Authorization": "Bearer u1-token"}
SECRET = "role-link-secret"
DENIED = {401, 403}


@contextmanager
def apps(settings: Settings, tmp_path: Path) -> Iterator[dict[str, TestClient]]:
    (tmp_path / "units.yaml").write_text(units_yaml(Shape(units=2, regions=1)), "utf-8")
    config = settings.model_copy(update={
        "api_keys": ",".join(f"{n}:{n}-key" for n in KEYS), "operators": "operator,approver,reader",
        "assessment_approvers": "approver", "readers": "reader", "unit_tokens": "U-000:u0-token,U-001:u1-token",
        "link_secret": SECRET, "units_file": tmp_path / "units.yaml"})
    with ExitStack() as stack:
        yield {name: stack.enter_context(TestClient(make(config)))
               for name, make in (("intake", intake_app), ("scoring", scoring_app), ("notify", notify_app))}


def status(client: TestClient, method: str, path: str, headers: dict[str, str], **kw: object) -> int:
    return client.request(method, path, headers=headers, **kw).status_code  # type: ignore[arg-type]


async def test_each_role_does_what_the_readme_says_and_no_more(settings: Settings, tmp_path: Path) -> None:
    await topics.ensure_topics(settings)
    with apps(settings, tmp_path) as c:
        intake, scoring, notify = c["intake"], c["scoring"], c["notify"]
        event = [{"event_id": "e1", "case_id": "C1", "type": "reported", "occurred_at": "nonsense"}]

        # platform: sends events (a bad one gets its verdict, not a refusal); changes nothing elsewhere
        assert status(intake, "POST", "/v1/events", KEYS["platform"], json=event) not in DENIED
        assert status(scoring, "PUT", "/v1/evaluations/2026-11/U-000", KEYS["platform"], json={"other": 1}) == 403
        assert status(notify, "POST", "/v1/board/session", KEYS["platform"]) == 403

        # reader: reads everything, changes nothing, even where it is listed among the operators
        reader = KEYS["reader"]
        for client, path in ((scoring, "/v1/periods/2026-11"), (scoring, "/v1/units/U-000/standing?period=2026-11"),
                             (scoring, "/v1/exemptions/2026-11"), (notify, "/v1/units/U-000/alerts"),
                             (notify, "/v1/units/U-000/board")):
            assert status(client, "GET", path, reader) == 200, path
        assert status(intake, "POST", "/v1/events", reader, json=event) == 403
        assert status(scoring, "PUT", "/v1/evaluations/2026-11/U-000", reader, json={"other": 1}) == 403
        assert status(scoring, "POST", "/v1/months/2026-11/close", reader, json={}) == 403
        assert status(scoring, "POST", "/v1/assessments/district-rules/2026-11/R-00/records", reader,
                      json={"item": "org-structure", "kind": "finding"}) == 403
        assert status(scoring, "POST", "/v1/units/U-000/links/revoke", reader) == 403
        assert status(notify, "POST", "/v1/silences", reader, json={
            "unit": "U-000", "until": "2030-01-01T00:00:00+08:00", "reason": "x"}) == 403
        assert status(notify, "POST", "/v1/board/session", reader) == 403
        assert status(notify, "POST", "/v1/units/U-000/cases/C1/ack", reader) == 403
        assert scoring.post("/v1/session", headers=reader).json()["role"] == "reader"

        # operator (an assessor here) and approver: their changes pass the door
        assert status(scoring, "PUT", "/v1/evaluations/2026-11/U-000", KEYS["operator"],
                      json={"other": 0.9, "note": "测试"}) == 200
        assert status(notify, "POST", "/v1/silences", KEYS["operator"], json={
            "unit": "U-000", "until": "2030-01-01T00:00:00+08:00", "reason": "测试"}) == 200
        assert status(notify, "POST", "/v1/units/U-000/cases/C1/ack", KEYS["operator"]) == 404  # allowed; no alert
        assert scoring.post("/v1/session", headers=KEYS["operator"]).json()["role"] == "assessor"
        assert scoring.post("/v1/session", headers=KEYS["approver"]).json()["role"] == "approver"
        signed_in = "/v1/units/U-001/standing?period=2026-11"  # a page's read: the session cookie alone
        assert status(scoring, "GET", signed_in, {}) == 200
        scoring.cookies.clear()
        assert status(scoring, "GET", signed_in, {}) == 401

        # a unit: its own standing, board and feed; nothing of another unit's; no key's door
        assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", U0) == 200
        assert status(scoring, "GET", "/v1/units/U-001/standing?period=2026-11", U0) == 403
        assert status(notify, "GET", "/v1/units/U-000/board", U0) == 200
        assert status(notify, "GET", "/v1/units/U-001/board", U0) == 403
        assert status(notify, "POST", "/v1/units/U-001/cases/C1/ack", U0) == 403
        assert status(scoring, "GET", "/v1/periods/2026-11", U0) == 401
        assert status(intake, "POST", "/v1/events", U0, json=event) == 401
        assert status(scoring, "POST", "/v1/units/U-000/links/revoke", U0) == 401

        # a link token: one unit's, in both services, until it expires or an operator revokes it
        now = int(time.time())
        link = {"Authorization": f"Bearer {link_token(SECRET, 'U-000', now - 5, 3600)}"}
        stale = {"Authorization": f"Bearer {link_token(SECRET, 'U-000', now - 7200, 3600)}"}
        forged = {"Authorization": f"Bearer {link_token('not-ours', 'U-000', now - 5, 3600)}"}
        assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", link) == 200
        assert status(notify, "GET", "/v1/units/U-000/board", link) == 200
        assert status(scoring, "GET", "/v1/units/U-001/standing?period=2026-11", link) == 403
        assert status(notify, "GET", "/v1/units/U-001/board", link) == 403
        for bad in (stale, forged):
            assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", bad) == 401
            assert status(notify, "GET", "/v1/units/U-000/board", bad) == 403
        revoked = scoring.post("/v1/units/U-000/links/revoke", headers=KEYS["operator"])
        assert revoked.status_code == 200
        assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", link) == 401
        assert status(notify, "GET", "/v1/units/U-000/board", link) == 403  # every replica, every service
        # a link sent after the revocation (issued in a later second than the one revoked) opens again
        issued = revoked.json()["revoked_before_s"] + 1
        fresh = {"Authorization": f"Bearer {link_token(SECRET, 'U-000', issued, 3600)}"}
        assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", fresh) == 200
        assert status(scoring, "GET", "/v1/units/U-000/standing?period=2026-11", U0) == 200  # own token stays

        # the unit's board signs in once for an HttpOnly cookie: no token in a URL, none kept by the page
        board_session = "/v1/units/U-000/board/session"
        assert status(notify, "GET", "/v1/units/U-000/board?token=u0-token", {}) == 401  # a URL's token opens nothing
        assert status(notify, "POST", board_session, {"Authorization": "Bearer not-a-token"}) == 403
        for secret in (fresh, U0):
            notify.cookies.clear()
            signed = notify.post(board_session, headers=secret)
            assert signed.status_code == 200 and "httponly" in signed.headers["set-cookie"].lower()
            assert "samesite=strict" in signed.headers["set-cookie"].lower()
            assert "u0-token" not in signed.headers["set-cookie"]
            assert status(notify, "GET", "/v1/units/U-000/board", {}) == 200  # the cookie alone
            assert status(notify, "GET", board_session, {}) == 200
            assert status(notify, "GET", "/v1/units/U-001/board", {}) == 403  # one unit's cookie, that unit only
            assert status(notify, "POST", "/v1/units/U-000/cases/C1/ack", {}) == 404  # allowed; no alert
            assert status(notify, "POST", "/v1/units/U-001/cases/C1/ack", {}) == 403
        notify.cookies.clear()
        notify.post(board_session, headers=fresh)
        while int(time.time()) < issued:  # revocations count whole seconds: revoke in or after the link's
            time.sleep(0.05)
        assert status(scoring, "POST", "/v1/units/U-000/links/revoke", KEYS["operator"]) == 200
        assert status(notify, "GET", "/v1/units/U-000/board", {}) == 403  # signed in by a link: revoked with it
        assert status(notify, "GET", board_session, {}) == 403
        notify.cookies.clear()

        # every page of ours is sent with a Content-Security-Policy that lets nothing in from elsewhere
        for client, page in ((notify, "/board"), (notify, "/board/wall"), (notify, "/units/U-000"),
                             (scoring, "/assessments/district-rules/2026-11"), (scoring, "/exemptions/2026-11"),
                             (scoring, "/units/U-000/standing")):
            policy = client.get(page).headers.get("content-security-policy", "")
            assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, page

        # scoring's front page links every page of its own, each of which opens (and asks for its sign-in)
        front = scoring.get("/")
        assert front.status_code == 200 and "default-src 'self'" in front.headers["content-security-policy"]
        links = re.findall(r"href='([^']+)'", front.text)
        assert {"/whatif", "/units/U-000/standing", "/units/R-00/standing"} <= set(links)
        assert any(x.startswith("/exemptions/") for x in links) and any(x.startswith("/bulletin/") for x in links)
        for link in links:
            assert scoring.get(link).status_code == 200, link
        assert notify.get("/", follow_redirects=False).headers["location"] == "/board"  # notify's: the board


async def test_in_a_province_the_cities_comparison_is_for_keys_not_for_a_unit(settings: Settings,
                                                                                tmp_path: Path) -> None:
    await topics.ensure_topics(settings)
    (tmp_path / "units.yaml").write_text(units_yaml(Shape(units=2, regions=1)), "utf-8")
    province = settings.model_copy(update={
        "api_keys": ",".join(f"{n}:{n}-key" for n in KEYS), "readers": "reader", "city_feeds": True,
        "unit_tokens": "U-000:u0-token", "units_file": tmp_path / "units.yaml"})
    with TestClient(scoring_app(province)) as scoring:
        for name in ("platform", "reader", "operator"):
            answer = scoring.get("/v1/cities", params={"period": "2026-11"}, headers=KEYS[name])
            assert answer.status_code == 200, name
            assert [c["city"] for c in answer.json()["cities"]] == ["R-00"]  # the units file's regions
        assert status(scoring, "GET", "/v1/cities?period=2026-11", U0) == 403
        assert status(scoring, "GET", "/v1/cities/R-00/months/2026-11", U0) == 403
        assert status(scoring, "GET", "/v1/cities?period=2026-11", {}) == 401
        assert status(scoring, "GET", "/v1/cities/nowhere/months/2026-11", KEYS["reader"]) == 404
        assert status(scoring, "GET", "/v1/cities?period=2026-13", KEYS["reader"]) == 422
        year = scoring.get("/v1/cities", params={"period": "2026"}, headers=KEYS["reader"]).json()
        assert len(year["months"]) == 12 and year["cities"][0]["months_signed"] == []  # nothing closed yet
        assert "province-frame" in year["assessments"]  # the yearly template ranks a year's cities
        assert status(scoring, "GET", "/v1/cities?period=2026-Q4", KEYS["reader"]) == 200
        page = scoring.get("/province/2026-11")
        assert page.status_code == 200 and "省级监管平台" in page.text and "content-security-policy" in page.headers
