"""Shared fixtures. Infrastructure fixtures (Kafka, PostgreSQL) live in tests/integration/conftest.py."""

from __future__ import annotations

import pytest

from caseflow.config.rules import load_rules
from caseflow.domain.rules import Rules


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()
