"""Tests against the real broker at BROKER_URL (`pytest -m integration`)."""
