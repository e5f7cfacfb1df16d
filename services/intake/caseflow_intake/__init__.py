"""caseflow intake service."""
