"""Alembic revisions (a package so that an installed wheel carries them)."""
