"""Located errors for instrument specs.

Every problem found while reading a spec file is a :class:`SpecIssue` naming the file, the line
and column (1-based, when known), the field path (``items[3].response.levels[1].points``) and a
message a researcher can act on. :class:`SpecError` carries all issues found in one pass, so a
spec author can fix them together instead of one per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SpecError", "SpecIssue", "UnknownInstrumentError"]


@dataclass(frozen=True)
class SpecIssue:
    """One problem in a spec: where it is and what to do about it.

    ``line`` and ``column`` are 1-based and ``None`` when the problem is about the file as a
    whole (not found, empty, too large). ``path`` is the field path (``""`` for the file itself,
    ``"<root>"`` for the top-level mapping).
    """

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def location(self) -> str:
        """``file:line:column`` (the parts that are known)."""
        out = self.file
        if self.line is not None:
            out += f":{self.line}"
            if self.column is not None:
                out += f":{self.column}"
        return out

    def __str__(self) -> str:
        head = self.location()
        if self.path:
            head += f": {self.path}"
        return f"{head}: {self.message}"


class SpecError(ValueError):
    """An instrument spec could not be loaded; ``issues`` lists every problem found.

    ``str(error)`` gives one line per issue, e.g.
    ``instruments/x.yaml:23:7: items[3].response.levels[1].points: expected a number, got 'two'``.
    """

    def __init__(self, issues: Iterable[SpecIssue]):
        self.issues: list[SpecIssue] = list(issues)
        if not self.issues:
            raise ValueError("SpecError needs at least one issue")
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @classmethod
    def single(
        cls,
        file: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str = "",
    ) -> SpecError:
        """A SpecError with one issue."""
        return cls([SpecIssue(file=file, line=line, column=column, path=path, message=message)])

    @property
    def file(self) -> str:
        """File of the first issue."""
        return self.issues[0].file

    def __reduce__(self):  # keep picklable (multiprocessing) despite the custom __init__
        return (type(self), (self.issues,))


class UnknownInstrumentError(SpecError, LookupError):
    """No instrument with the requested id (or id@version) was found in the registry."""
