"""Errors the planner raises for bad input or unplannable scenarios.

Every problem names the file and the field, so a user can fix it without reading code.
Validation gathers all problems first and raises them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One thing wrong with one input: where, and what."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class PlannerError(Exception):
    """Base class of the planner's own errors (never shown with a traceback)."""

    exit_code = 1


class InputError(PlannerError):
    """One or more inputs are invalid. Carries every issue found."""

    exit_code = 2

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class InfeasibleError(PlannerError):
    """The scenario has no feasible plan. `details` explains where it falls short."""

    exit_code = 3

    def __init__(self, message: str, details: list[str] | None = None):
        self.details = list(details or [])
        super().__init__(message)

    def explain(self) -> str:
        lines = [str(self)]
        lines += [f"  - {d}" for d in self.details]
        return "\n".join(lines)


class SolverError(PlannerError):
    """The solver stopped without a plan for a reason other than infeasibility."""

    exit_code = 1

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(message)


class PlanCheckError(SolverError):
    """A solved plan failed the planner's own check after the solve (strict demand not
    served, a cap broken, or its cost not the solver's objective: `planner.core.results`)."""


class OutputError(PlannerError):
    """The plan could not be written; the output folder was left as it was."""

    exit_code = 1


@dataclass
class IssueCollector:
    """Accumulates issues across files and stages; raise once at the end."""

    issues: list[Issue] = field(default_factory=list)

    def add(self, file: str, field_: str, message: str) -> None:
        self.issues.append(Issue(file, field_, message))

    def extend(self, issues: list[Issue]) -> None:
        self.issues.extend(issues)

    def raise_if_any(self) -> None:
        if self.issues:
            raise InputError(self.issues)


class Terminated(SystemExit):
    """SIGTERM stopped a run (after its worker processes were ended): the process exits
    with 143 (128 + SIGTERM) through the normal shutdown, so nothing is left behind."""

    def __init__(self) -> None:
        super().__init__(143)
