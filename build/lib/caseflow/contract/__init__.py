"""Contract v1: the dispatch platform's wire format, validated, and mapped to domain events."""
