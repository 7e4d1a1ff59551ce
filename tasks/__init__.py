"""Celery app and tasks: small idempotent functions that call app services."""
