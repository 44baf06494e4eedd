"""The one exception type a user ever sees, rendered as a single line by the CLI."""

from __future__ import annotations


class UserError(Exception):
    """A failure the user can fix: says what went wrong, where, and how to fix it.

    The CLI prints ``str(error)`` on one line and exits with ``exit_code``; library callers can
    read the parts separately.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None,
                 exit_code: int = 1) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        self.exit_code = exit_code
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.what
        if self.where:
            text += f" ({self.where})"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


def first_line(error: BaseException) -> str:
    """An exception from a library (Keras raises many types) as one short line for our users."""
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__


def last_line(output: str) -> str:
    """The last non-blank line of a tool's output: where Node and git say what went wrong."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


class UsageError(UserError):
    """Bad arguments or unreadable input: exit code 2, like Click's own usage errors."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        super().__init__(what, where=where, fix=fix, exit_code=2)
