"""Recorded Stripe API responses and webhook payloads (API version 2026-10-28), the local server that answers
them (server.py) and the billing tests' fixtures (fixtures.py)."""
