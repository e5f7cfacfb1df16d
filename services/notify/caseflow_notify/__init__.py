"""caseflow notify service."""
