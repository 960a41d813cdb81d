"""Alembic migrations of the central database (run by :mod:`sync.server.migrate`)."""
