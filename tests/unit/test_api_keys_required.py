"""Production defaults: no service serves with a key everybody knows. Started without CASEFLOW_API_KEYS,
each stops at once with one line naming the setting and exit 2; `caseflow up` and the tests make their
own keys (tests/e2e/test_up.py starts the stack without any in the environment)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from caseflow.config.schemes import ConfigError
from caseflow.infra.settings import Settings, service_settings


def test_no_key_is_built_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEFLOW_API_KEYS", raising=False)
    assert Settings().keys() == {}
    with pytest.raises(ConfigError, match="CASEFLOW_API_KEYS is not set"):
        service_settings(8000)
    monkeypatch.setenv("CASEFLOW_API_KEYS", "platform:s3cret,operator:0p")
    assert service_settings(8123).keys() == {"s3cret": "platform", "0p": "operator"}


@pytest.mark.parametrize("service", ["intake", "dispatch", "scoring", "notify"])
@pytest.mark.parametrize("keys", [None, "", "no-colon-here"])
def test_a_service_without_keys_refuses_to_start(service: str, keys: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CASEFLOW_API_KEYS"}
    env.update({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    if keys is not None:
        env["CASEFLOW_API_KEYS"] = keys
    out = subprocess.run([sys.executable, "-m", "caseflow.cli", service, "--port", "9"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith(f"caseflow {service}: CASEFLOW_API_KEYS is not set: give the callers' keys"), last
