"""Adapters and local infrastructure: Kafka, PostgreSQL, HTTP plumbing, settings."""
