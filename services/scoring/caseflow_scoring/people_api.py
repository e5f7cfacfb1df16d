"""Who calls scoring's API and pages (issue #32): a key (X-API-Key / Bearer; its role from the settings),
a unit's own token or a link token from a robot message, or the session cookie a page got by signing in
once through its form (POST /v1/session: the key or token in a header, never in a URL). The cookie holds
no secret (caseflow.access.sessions); a unit signed in by a link token keeps that token's expiry and
is still refused once its links are revoked."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Response

from caseflow.access.sessions import LIFETIME_S, SESSION_COOKIE, session_holder, session_value
from caseflow.domain.assessment_records import Actor
from caseflow.infra.http import holder_of, operator_auth, presented_secret
from caseflow.infra.settings import Settings
from caseflow.infra.unit_access import UnitAccess, revoke_links


class People:
    """The roles as the README lists them: approver, assessor (the other operators), reader (any other
    key: reads everything, changes nothing), unit (its own numbers, records, applications)."""

    def __init__(self, settings: Settings, pool_of: Any) -> None:
        self.keys = settings.keys()
        self.approvers, self.operators = settings.names("assessment_approvers"), settings.names("operators")
        self.operators -= settings.names("readers")
        self.access = UnitAccess.of(settings)
        self.pool_of = pool_of  # the API pool, once the service started
        self.secure = settings.public_url.startswith("https://") or settings.scoring_url.startswith("https://")

    def keyed(self, name: str) -> Actor:
        role = "approver" if name in self.approvers else "assessor" if name in self.operators else "reader"
        return Actor(name, role)

    async def of_secret(self, presented: str, now_s: int) -> Actor | None:
        name = holder_of(self.keys, presented)
        if name is not None:
            return self.keyed(name)
        unit = await self.access.unit_of(self.pool_of(), presented, now_s)
        return Actor(f"unit:{unit}", "unit", unit) if unit is not None else None

    async def of_session(self, value: str, now_s: int) -> Actor | None:
        holder = session_holder(value, {name: key for key, name in self.keys.items()}, now_s)
        if holder is not None:
            return self.keyed(holder)
        unit = await self.access.unit_of_session(self.pool_of(), value, now_s)
        return Actor(f"unit:{unit}", "unit", unit) if unit is not None else None

    def cookie_for(self, presented: str, actor: Actor, now_s: int) -> tuple[str, int]:
        if actor.role == "unit":
            return self.access.session_for(presented, actor.unit, now_s)
        return session_value(presented, actor.name, now_s), LIFETIME_S


def own_only(actor: Actor, subject: str) -> None:
    """A unit reads its own (unit or region) and nothing of another's; a key reads all."""
    if actor.role == "unit" and actor.unit != subject:
        raise HTTPException(403, f"this token belongs to {actor.unit!r}, not {subject!r}")


def keys_only(actor: Actor, why: str) -> None:
    """Refused to a unit's token (`why` says what the route is for, or where a unit reads its own)."""
    if actor.role == "unit":
        raise HTTPException(403, why)


def actor_dependency(people: People) -> Any:
    async def actor(authorization: str | None = Header(None), x_api_key: str | None = Header(None),
                    caseflow_session: str | None = Cookie(None)) -> Actor:
        now_s = int(time.time())
        presented = presented_secret(authorization, x_api_key)
        if presented:
            found = await people.of_secret(presented, now_s)
            if found is None:
                raise HTTPException(401, "unknown key or token (or the link expired or was revoked)")
            return found
        if caseflow_session and (found := await people.of_session(caseflow_session, now_s)):
            return found
        raise HTTPException(401, "sign in: the key or the unit's token in the page's form (POST /v1/session), "
                                 "or X-API-Key / Authorization: Bearer on each request")
    return actor


def add_people_routes(app: FastAPI, settings: Settings, people: People) -> None:
    operator = Depends(operator_auth(settings))

    @app.post("/v1/session", tags=["access"], summary="sign in once: the key or token in a header (never a URL) "
              "for an HttpOnly, SameSite=Strict cookie that expires")
    async def open_session(response: Response, authorization: str | None = Header(None),
                           x_api_key: str | None = Header(None)) -> dict[str, Any]:
        presented, now_s = presented_secret(authorization, x_api_key), int(time.time())
        actor = await people.of_secret(presented, now_s) if presented else None
        if actor is None or presented is None:
            raise HTTPException(401, "unknown key or token (or the link expired or was revoked)")
        value, max_age = people.cookie_for(presented, actor, now_s)
        response.set_cookie(SESSION_COOKIE, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=people.secure)
        return {"name": actor.name, "role": actor.role, "unit": actor.unit, "expires_in_s": max_age}

    @app.delete("/v1/session", tags=["access"], summary="sign out")
    async def close_session(response: Response) -> dict[str, Any]:
        response.delete_cookie(SESSION_COOKIE, path="/")
        return {"signed_out": True}

    @app.post("/v1/units/{unit}/links/revoke", tags=["access"],
              summary="every link token of the unit issued so far stops opening anything (operators)")
    async def revoke(unit: str, why: str = "", who: str = operator) -> dict[str, Any]:
        now_s = int(time.time())
        await revoke_links(app.state.pool, unit, now_s, who, why)
        return {"unit": unit, "revoked_before_s": now_s, "by": who}
