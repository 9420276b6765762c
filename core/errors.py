"""Domain errors raised by core. Plain exceptions with no HTTP in them.

The web layer (app/errors.py) maps each class to an HTTP status and an RFC 9457 problem document;
``field`` is the path of the offending input inside the request body (a tuple of keys and list
indices, e.g. ``("transitions", 2, "gamma")``) when core knows it, else ``()``.
"""

from __future__ import annotations

from collections.abc import Sequence

FieldPath = tuple[str | int, ...]


class CoreError(ValueError):
    """Base class of every error core raises on purpose.

    Parameters
    ----------
    message
        What is wrong, phrased for the person who sent the input.
    field
        Path of the offending input (keys and indices), or ``()``.
    fix
        One sentence on how to correct the input, or ``None``.
    """

    def __init__(self, message: str, field: Sequence[str | int] = (), fix: str | None = None):
        super().__init__(message)
        self.message = message
        self.field: FieldPath = tuple(field)
        self.fix = fix

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in a worker process and re-raised in the server: every attribute survives the
        # pickle (the default would call the class with ``args`` only, losing keyword fields).
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[CoreError], args: tuple[object, ...], state: dict[str, object]) -> CoreError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class InvalidInput(CoreError):
    """An input that is well formed but physically or numerically meaningless (422)."""


class LimitExceeded(CoreError):
    """The requested work exceeds a configured limit (413).

    ``limit_name`` is the name of the setting (e.g. ``max_grid_points``) so the user can see which
    knob an operator would turn; ``limit`` its value and ``requested`` what was asked for.
    """

    def __init__(
        self,
        message: str,
        *,
        limit_name: str,
        limit: float,
        requested: float,
        field: Sequence[str | int] = (),
        fix: str | None = None,
    ):
        super().__init__(message, field, fix)
        self.limit_name = limit_name
        self.limit = limit
        self.requested = requested


class PoleOnGrid(InvalidInput):
    """A frequency lands on an undamped pole of a response function (422)."""


class NotAnInsulator(InvalidInput):
    """An insulator-only quantity was asked of a gapless model (422); ``gap`` is the gap found."""

    def __init__(
        self, message: str, gap: float, field: Sequence[str | int] = (), fix: str | None = None
    ):
        super().__init__(message, field, fix)
        self.gap = gap


class ConvergenceError(CoreError):
    """A numerical procedure did not reach its tolerance within its budget (422)."""
