"""caseflow dispatch service."""
