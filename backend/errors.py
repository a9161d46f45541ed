"""Named domain errors. Each says what was wrong; the HTTP edge maps them to status and code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal. `code` is machine-readable; `field` names the input at fault."""

    code = "domain_error"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class InvalidInput(DomainError):
    """Well-formed but not acceptable (422)."""

    code = "invalid_input"


class InvalidIdNumber(InvalidInput):
    code = "invalid_id_number"


class InvalidJurisdiction(InvalidInput):
    code = "invalid_jurisdiction"


class UnknownCode(InvalidInput):
    code = "unknown_code"


class OccurredInFuture(InvalidInput):
    code = "occurred_in_future"


class OccurredTooLongAgo(InvalidInput):
    code = "occurred_too_long_ago"


class NotFound(DomainError):
    code = "not_found"


class ChildNotFound(NotFound):
    code = "child_not_found"


class VisitNotFound(NotFound):
    code = "visit_not_found"


class ReportNotFound(NotFound):
    code = "report_not_found"


class ReferralNotFound(NotFound):
    code = "referral_not_found"


class InterventionNotFound(NotFound):
    code = "intervention_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class Forbidden(DomainError):
    """The role may not do this (403)."""

    code = "forbidden"


class Conflict(DomainError):
    """The request cannot apply to the current state (409)."""

    code = "conflict"


class SubmissionConflict(Conflict):
    """The same submission_id arrived with different content."""

    code = "submission_conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class StaleVersion(Conflict):
    """The command was made on a version that is no longer current."""

    code = "stale_version"


class UsernameTaken(Conflict):
    code = "username_taken"


class UserDisabledError(Conflict):
    code = "user_disabled"


class StoreUnavailable(DomainError):
    """The event store did not answer (503); the client retries with the same submission."""

    code = "store_unavailable"


class Busy(DomainError):
    """The server has no room for this work just now (503 with Retry-After); the client retries."""

    code = "busy"


class PhotoDecodeBusy(Busy):
    """Every slot of the process's photo-decoding budget is taken."""

    code = "decode_busy"
