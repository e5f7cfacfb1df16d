"""The scoring service's HTTP API, as the audit tools use it."""

from __future__ import annotations

import os
import re
from typing import Any

import httpx
import msgspec
import orjson

from caseflow.contract.snapshot import decode_case
from caseflow.domain.assessment_records import Record
from caseflow.domain.state import CaseState
from caseflow.evaluation.assessments import RecordsFile
from caseflow.evaluation.document import Applied
from caseflow.replay.exempted import parse_export, read_applications


class ScoringError(RuntimeError):
    """Scoring could not be asked; the message says what to fix."""


class ScoringClient:
    def __init__(self, url: str | None, api_key: str | None) -> None:
        self.url = (url or os.environ.get("CASEFLOW_SCORING_URL") or "http://127.0.0.1:8003").rstrip("/")
        key = api_key or os.environ.get("CASEFLOW_API_KEY") or ""
        if not key:
            raise ScoringError("scoring needs an API key: --api-key KEY or CASEFLOW_API_KEY")
        self.http = httpx.Client(base_url=self.url, headers={"X-API-Key": key}, timeout=120)

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ScoringError(f"cannot reach scoring at {self.url} ({exc}); set --scoring-url") from exc
        if response.status_code in (401, 403):
            raise ScoringError(f"scoring refused the API key ({response.status_code}: {_detail(response)})")
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(method, path, **kwargs)
        if response.status_code >= 400:
            raise ScoringError(f"scoring answered {response.status_code} to {method} {path}: {_detail(response)}")
        return response.json()

    def period(self, name: str, as_of: str | None) -> dict[str, Any]:
        params = {"recompute": "true", **({"as_of": as_of} if as_of else {})}
        doc: dict[str, Any] = self._json("GET", f"/v1/periods/{name}", params=params)
        return doc

    def manual(self, name: str) -> dict[str, dict[str, float]]:
        current: dict[str, dict[str, float]] = self._json("GET", f"/v1/evaluations/{name}")["current"]
        return current

    def cases(self, name: str, unit: str, as_of: str | None) -> list[CaseState]:
        params = {"unit": unit, **({"as_of": as_of} if as_of else {})}
        body = self._json("GET", f"/v1/periods/{name}/cases", params=params)
        return [decode_case(c) for c in body["cases"]]

    def records(self, template: str, period: str) -> list[Record]:
        """A template's records of a period as scoring exports them (none if scoring lacks the template)."""
        response = self._call("GET", f"/v1/assessment-exports/{template}/{period}")
        if response.status_code == 404:
            return []
        if response.status_code >= 400:
            raise ScoringError(f"scoring answered {response.status_code} to the {template} export: "
                               f"{_detail(response)}")
        return msgspec.json.decode(response.content, type=RecordsFile).records

    def exemptions(self, period: str) -> list[Applied]:
        """A month's exemption applications as scoring exports them (GET /v1/exemptions/{period}/export)."""
        response = self._call("GET", f"/v1/exemptions/{period}/export")
        if response.status_code >= 400:
            raise ScoringError(f"scoring answered {response.status_code} to the exemptions export: "
                               f"{_detail(response)}")
        return parse_export(response.content, f"scoring's exemptions export of {period}")

    def cities(self, name: str) -> list[dict[str, Any]]:
        """A province's cities for the period, each with what it signed (GET /v1/cities)."""
        cities: list[dict[str, Any]] = self._json("GET", "/v1/cities", params={"period": name})["cities"]
        return cities

    def month(self, name: str) -> dict[str, Any] | None:
        response = self._call("GET", f"/v1/months/{name}")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ScoringError(f"scoring answered {response.status_code}: {_detail(response)}")
        record: dict[str, Any] = response.json()
        return record

    def close(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = self._call("POST", f"/v1/months/{name}/close", content=orjson.dumps(body),
                              headers={"Content-Type": "application/json"})
        return response.status_code, response.json()


def applications_for(args: Any, client: ScoringClient, period: str) -> list[Applied] | None:
    """The exemption applications audit and close-month apply: `--exemptions FILE` when given, else scoring's
    export of each month of a named period (people's decisions, read from scoring like the manual
    evaluations); None for a period that is no named day, month, quarter or year."""
    if getattr(args, "exemptions", None):
        return read_applications(args.exemptions)
    months = _months_of(period)
    if months is None:
        return None
    return [a for month in months for a in client.exemptions(month)]


def _months_of(period: str) -> list[str] | None:
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", period):
        return [period[:7]]
    if quarter := re.fullmatch(r"(\d{4})-Q([1-4])", period):
        year, q = quarter.groups()
        return [f"{year}-{m:02d}" for m in range(3 * int(q) - 2, 3 * int(q) + 1)]
    if re.fullmatch(r"\d{4}", period):
        return [f"{period}-{m:02d}" for m in range(1, 13)]
    return None


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:300]
