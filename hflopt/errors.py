"""Exceptions raised by hflopt.

Every error caused by bad input is an :class:`InstanceError` (or a subclass)
that names the source (file), the field and the offending value, so that the
command line can print it as one line and exit with status 2.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FormatError",
    "HfloptError",
    "InstanceError",
    "OutputError",
    "SolutionError",
    "SolverError",
    "SolverFailure",
    "SolverNotAvailableError",
]

_MAX_VALUE_CHARS = 80


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


class HfloptError(Exception):
    """Base class of all hflopt errors."""


class InstanceError(HfloptError, ValueError):
    """Invalid instance data.

    Parameters
    ----------
    message:
        What is wrong, e.g. ``"must be a finite number >= 0"``.
    field:
        The field at fault, e.g. ``"capacities[3]"`` or ``"links.host"``.
    value:
        The offending value (shown with ``repr``); omit when there is none.
    source:
        The file (or other source) the data came from.
    """

    _NO_VALUE = object()

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = _NO_VALUE,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.field = field
        self.value = value
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(str(self.source))
        if self.field:
            parts.append(self.field)
        text = ": ".join([*parts, self.message])
        if self.value is not InstanceError._NO_VALUE:
            text += f" (got {_short(self.value)})"
        return text

    def with_source(self, source: str | None) -> InstanceError:
        """Return a copy of this error attributed to ``source`` (if it has none)."""
        if self.source or not source:
            return self
        err = type(self)(self.message, field=self.field, value=self.value, source=source)
        err.__cause__ = self.__cause__
        return err


class FormatError(InstanceError):
    """A file that cannot be parsed in the expected (or any known) format."""


class OutputError(HfloptError):
    """An output could not be written (disk full, permission lost, ...); nothing half-written stays."""


class SolutionError(HfloptError):
    """A solution violates the constraints of its instance."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        shown = "; ".join(self.violations[:5])
        more = len(self.violations) - 5
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(f"infeasible solution: {shown}")


class SolverError(HfloptError):
    """The solver was called with unusable options (exit status 2) or failed
    (:class:`SolverFailure`, exit status 1)."""


class SolverFailure(SolverError):
    """The solver failed while running (exit status 1), as opposed to unusable options (2)."""


class SolverNotAvailableError(SolverError):
    """The requested solver is not installed."""
