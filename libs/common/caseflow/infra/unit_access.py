"""Which unit a presented secret opens: the unit's own token (CASEFLOW_UNIT_TOKENS) or a link token
from a robot message (caseflow.access.links) that is signed, unexpired and not revoked; revocations live
in PostgreSQL so that every replica of every service honours them at once."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from caseflow.access.links import grant_stands, is_link_token, link_token, read_link_token
from caseflow.access.sessions import LIFETIME_S, session_holder, session_value
from caseflow.infra.http import holder_of
from caseflow.infra.settings import Settings


@dataclass(frozen=True)
class UnitAccess:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> unit
    link_secret: str = ""
    link_lifetime_s: int = 7 * 86400

    @classmethod
    def of(cls, settings: Settings) -> UnitAccess:
        return cls({token: unit for unit, token in settings.unit_token_map().items()}, settings.link_secret,
                   settings.link_days * 86400)

    def token_for(self, unit: str, now_s: int) -> str:
        """A fresh link token for `unit` ("" when the deployment has no link secret)."""
        return link_token(self.link_secret, unit, now_s, self.link_lifetime_s) if self.link_secret else ""

    def static_secret(self, unit: str) -> str | None:
        return next((token for token, holder in self.tokens.items() if holder == unit), None)

    async def unit_of(self, pool: asyncpg.Pool, presented: str, now_s: int) -> str | None:
        if is_link_token(presented):
            grant = read_link_token(presented, self.link_secret)
            if grant is None:
                return None
            revoked = await pool.fetchval("SELECT revoked_at_s FROM link_revocations WHERE unit_id = $1", grant.unit)
            return grant.unit if grant_stands(grant, now_s, revoked) else None
        return holder_of(self.tokens, presented)

    def session_for(self, presented: str, unit: str, now_s: int) -> tuple[str, int]:
        """A session cookie's value and lifetime for a unit that signed in with `presented`: a link token
        is kept as itself (checked again on every request, so a revocation ends the session and the
        session never outlives the link); the unit's own token gives a signed value holding no secret."""
        if is_link_token(presented):
            return presented, max(1, min(int(presented.split(".")[3]) - now_s, LIFETIME_S))
        return session_value(presented, f"unit:{unit}", now_s), LIFETIME_S

    async def unit_of_session(self, pool: asyncpg.Pool, value: str | None, now_s: int) -> str | None:
        """The unit a session cookie signs in, or None (malformed, expired, revoked, token changed)."""
        if not value:
            return None
        if is_link_token(value):
            return await self.unit_of(pool, value, now_s)
        holder = session_holder(value, {f"unit:{unit}": token for token, unit in self.tokens.items()}, now_s)
        return holder[5:] if holder else None


async def revoke_links(pool: asyncpg.Pool, unit: str, now_s: int, by: str, why: str) -> None:
    """Every link token of `unit` issued up to now stops opening anything (new messages carry new ones)."""
    await pool.execute(
        """INSERT INTO link_revocations (unit_id, revoked_at_s, revoked_by, why) VALUES ($1, $2, $3, $4)
           ON CONFLICT (unit_id) DO UPDATE SET revoked_at_s = greatest(link_revocations.revoked_at_s, $2),
               revoked_by = $3, why = $4, updated_at = clock_timestamp()""", unit, now_s, by, why)
