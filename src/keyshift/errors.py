"""Errors that end a command with exit code 2 and a clear, secret-free message."""


class KeyshiftError(Exception):
    """A usage, configuration or runtime problem the user can act on (exit code 2)."""


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that ``finally`` blocks run: pool workers and git
    processes are stopped and temporary files removed, as on Ctrl-C. Not a ``KeyboardInterrupt``
    (typer turns that into a silent exit 130) and not an ``Exception`` (nothing may swallow it):
    the CLI reports it and exits 143."""


def raise_terminated(signum: int, frame: object) -> None:
    """A SIGTERM handler: further SIGTERMs are ignored while the run cleans up, then ``Terminated``."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()
