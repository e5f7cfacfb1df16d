"""`caseflow notify`: alert delivery. For now it serves its probes and metrics; delivery is issue "Notify"."""

from __future__ import annotations

import argparse
import asyncio

from fastapi import FastAPI

from caseflow.infra.http import add_http_metrics, add_probes, serve
from caseflow.infra.settings import Settings

EXAMPLES = """examples:
  caseflow notify --port 8004"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="HTTP port (default: CASEFLOW_PORT or 8000)")


def bootstrap(settings: Settings) -> FastAPI:
    app = FastAPI(title="caseflow notify", version="1")

    async def ready() -> bool:
        return True

    add_probes(app, ready)
    add_http_metrics(app, "notify")
    return app


def run(args: argparse.Namespace) -> int:
    settings = Settings(**({"port": args.port} if args.port else {}))
    asyncio.run(serve(bootstrap(settings), settings))
    return 0
