"""Errors that end a command with exit code 2 and a clear, secret-free message."""


class KeyshiftError(Exception):
    """A usage, configuration or runtime problem the user can act on (exit code 2)."""
