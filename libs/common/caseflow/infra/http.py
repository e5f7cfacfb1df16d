"""HTTP plumbing every service shares: health, readiness, metrics, API-key auth, and the server loop."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from caseflow.infra.pool_watch import WatchedPool, using
from caseflow.infra.settings import Settings

Check = Callable[[], Awaitable[bool]]


def service_app(name: str, lifespan: Any = None, description: str = "") -> FastAPI:
    """A service's FastAPI app with /healthz, /readyz, /metrics and HTTP metrics. Its lifespan sets
    `app.state.ready` (an async check) once the service's dependencies are up; until then /readyz is 503."""
    app = FastAPI(title=f"caseflow {name}", version="1", lifespan=lifespan, description=description)

    async def not_ready_yet() -> bool:
        return False

    app.state.ready = not_ready_yet

    async def ready() -> bool:
        return bool(await app.state.ready())

    add_probes(app, ready)
    add_http_metrics(app, name)
    add_page_policy(app)
    return app


# Our pages load nothing from elsewhere: scripts and styles are inline, data comes from this origin, and
# no other site may frame them. The OpenAPI pages (/docs, /redoc) load FastAPI's assets from a CDN.
PAGE_CSP = ("default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
_OPENAPI_PAGES = ("/docs", "/redoc")


def add_page_policy(app: FastAPI) -> None:
    """Every HTML page of ours is sent with PAGE_CSP (unless its route set its own)."""

    @app.middleware("http")
    async def page_policy(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        if (response.headers.get("content-type", "").startswith("text/html")
                and not request.url.path.startswith(_OPENAPI_PAGES)
                and "content-security-policy" not in response.headers):
            response.headers["content-security-policy"] = PAGE_CSP
            response.headers["x-content-type-options"] = "nosniff"
        return response


def add_probes(app: FastAPI, ready: Check) -> None:
    @app.get("/healthz", tags=["ops"], summary="the process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="dependencies reachable; ready for traffic")
    async def readyz(response: Response) -> dict[str, str]:
        ok = await ready()
        response.status_code = 200 if ok else 503
        return {"status": "ready" if ok else "not ready"}

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def presented_secret(authorization: str | None, x_api_key: str | None) -> str | None:
    """The key or token a request carries: X-API-Key, else Authorization: Bearer …."""
    return x_api_key or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)


def holder_of(secrets: Mapping[str, str], presented: str) -> str | None:
    """secrets: secret -> its holder; the holder of the presented one (compared in constant time)."""
    for secret, holder in secrets.items():
        if hmac.compare_digest(presented.encode(), secret.encode()):
            return holder
    return None


def api_key_auth(settings: Settings) -> Callable[..., str]:
    """A dependency: the caller's name for a valid key (Authorization: Bearer KEY or X-API-Key: KEY)."""
    keys = settings.keys()

    def authenticate(
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> str:
        presented = presented_secret(authorization, x_api_key)
        if not presented:
            raise HTTPException(401, "missing credentials: send `Authorization: Bearer <key>` or `X-API-Key`",
                                headers={"WWW-Authenticate": "Bearer"})
        name = holder_of(keys, presented)
        if name is None:
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        return name

    return authenticate




class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful stop (exit status -15); a service that stopped
    cleanly should exit 0, so the signal only starts the shutdown here."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)


def changer_auth(settings: Settings) -> Callable[..., str]:
    """Like api_key_auth, but a reader (CASEFLOW_READERS) is refused: it reads, it changes nothing."""
    authenticate = api_key_auth(settings)
    readers = settings.names("readers")

    def authorize(who: str = Depends(authenticate)) -> str:
        if who in readers:
            raise HTTPException(403, f"{who!r} is a reader: it reads everything and changes nothing")
        return who

    return authorize


def operator_auth(settings: Settings) -> Callable[..., str]:
    """Like api_key_auth, but only callers named in CASEFLOW_OPERATORS (default: `operator`) pass."""
    authenticate = api_key_auth(settings)
    allowed = settings.names("operators") - settings.names("readers")  # a reader is never an operator

    def authorize(who: str = Depends(authenticate)) -> str:
        if who not in allowed:
            raise HTTPException(403, f"{who!r} may not do this: operator role required")
        return who

    return authorize


async def serve(app: FastAPI, settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; uvicorn then runs the app's lifespan shutdown (consumers, pool).
    The topics are checked first: one weaker than configured stops the service with one line, exit 2."""
    from caseflow.infra.topics import ensure_topics

    await ensure_topics(settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                            timeout_graceful_shutdown=20, lifespan="on")
    await _Server(config).serve()
    logging.getLogger("caseflow").info("%s stopped cleanly", app.title)


def add_http_metrics(app: FastAPI, service: str) -> None:
    """RED metrics per route template (bounded labels), status included."""

    from caseflow.infra.metrics import HTTP_REQUESTS, HTTP_SECONDS

    @app.middleware("http")
    async def measure(request: Request, call_next: Any) -> Any:
        started = asyncio.get_running_loop().time()
        status = 500
        try:
            with using(f"http {request.method} {request.url.path}"[:120]):  # names its DB waits (pool_watch)
                response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            template = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(service, request.method, template, str(status)).inc()
            HTTP_SECONDS.labels(service, template).observe(asyncio.get_running_loop().time() - started)


async def watch_runtime(service: str, pools: Sequence[WatchedPool], stopping: asyncio.Event,
                        database_url: str | None = None) -> None:
    """Event-loop lag and DB pool use twice a second; every 2 s, this process's statements waiting long
    for a PostgreSQL lock (infra.lock_watch), when `database_url` is given."""
    from caseflow.infra.lock_watch import LockWatch
    from caseflow.infra.metrics import DB_POOL_IN_USE, LOOP_LAG

    loop = asyncio.get_running_loop()
    locks = LockWatch(service, database_url, pools) if database_url else None
    ticks = 0
    try:
        while not stopping.is_set():
            before = loop.time()
            await asyncio.sleep(0.5)
            LOOP_LAG.labels(service).set(max(0.0, loop.time() - before - 0.5))
            for pool in pools:
                DB_POOL_IN_USE.labels(service, pool.name).set(pool.get_size() - pool.get_idle_size())
            ticks += 1
            if locks is not None and ticks % 4 == 0:
                await locks.check()
    finally:
        if locks is not None:
            await locks.close()
