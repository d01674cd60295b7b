"""Errors shared between the core, the adapters and the command line."""


class StartupError(RuntimeError):
    """The bot cannot start as configured; the message says what to fix (shown as one line)."""
