"""Maintenance tools (trace recording)."""
