"""caseflow scoring service."""
