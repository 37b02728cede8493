"""The project's exceptions and the `Problem` record; only the CLI turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input, at a place an editor can find: `path:line: message`."""

    path: str
    line: int | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class DigestError(Exception):
    """Base of every error the project raises on purpose; `exit_code` is what the CLI returns."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([*(str(p) for p in self.problems), self.message])


class ContentError(DigestError):
    """Content is wrong (a clipping, an export to import): exit 1, with the problems found."""

    exit_code = 1


class BuildError(DigestError):
    """The site could not be built or checked after building: exit 1, previous output kept."""

    exit_code = 1


class UsageError(DigestError):
    """The command was used wrongly or the settings are wrong: exit 2."""

    exit_code = 2


class FrontMatterError(ContentError):
    """A clipping file cannot be split or parsed; carries one problem with its line."""

    def __init__(self, path: str, line: int | None, message: str):
        problem = Problem(path, line, message)
        super().__init__(str(problem), [problem])
        self.problem = problem

    def __str__(self) -> str:
        return str(self.problem)
