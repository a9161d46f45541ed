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


class EventTooLarge(InvalidInput):
    """What a write would store is over the size one event may have (413)."""

    code = "event_too_large"


class OutOfOrder(InvalidInput):
    """A step dated before the step it follows."""

    code = "out_of_order"


class OccurredInFuture(InvalidInput):
    code = "occurred_in_future"


class OccurredTooLongAgo(InvalidInput):
    code = "occurred_too_long_ago"


class TimeOutOfRange(InvalidInput):
    """A time too far from now for anything the service records (it cannot be a real record's time)."""

    code = "time_out_of_range"


class PeriodTooLong(InvalidInput):
    code = "period_too_long"


class InvalidDeviceId(InvalidInput):
    code = "invalid_device_id"


class BadRequest(DomainError):
    """The request itself cannot be read (400)."""

    code = "bad_request"


class MalformedBody(BadRequest):
    """The body is not JSON we can read: invalid UTF-8, too deeply nested, truncated."""

    code = "malformed_body"


class BadCursor(BadRequest):
    """A paging cursor this list did not give (forged, altered, or from another list)."""

    code = "bad_cursor"


class MultipleFiles(BadRequest):
    """An upload names more than one file where one is expected."""

    code = "multiple_files"


class Gone(DomainError):
    """What the request refers to is no longer served (410)."""

    code = "gone"


class CursorExpired(Gone):
    """A sync cursor the server cannot honour; the client starts again without one."""

    code = "cursor_expired"


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


class ConferenceNotFound(NotFound):
    code = "conference_not_found"


class FollowUpNotFound(NotFound):
    code = "follow_up_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class NotificationNotFound(NotFound):
    code = "notification_not_found"


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


class ChildClosed(Conflict):
    """The child's case is closed: what happens after the closure is not recorded until it is reopened."""

    code = "child_closed"


class AlreadyMerged(Conflict):
    """The record was merged into another child: it is closed for good, its facts go to the kept record."""

    code = "already_merged"


class MergeIntoSelf(InvalidInput):
    code = "merge_into_self"


class StaleVersion(Conflict):
    """The command was made on a version that is no longer current."""

    code = "stale_version"


class DuplicateChild(Conflict):
    """The ID number is already registered to another child: `extra` names it (in scope) or only its county."""

    code = "duplicate_child"


class UsernameTaken(Conflict):
    code = "username_taken"


class UserDisabledError(Conflict):
    code = "user_disabled"


class UnsupportedMediaType(DomainError):
    """The body or the file is not of a kind the operation takes (415)."""

    code = "unsupported_media_type"


class TooLarge(DomainError):
    """The body or the file is over what the operation takes (413)."""

    code = "too_large"


class DependencyUnavailable(DomainError):
    """A dependency other than the event store (the object store, say) did not answer (503); nothing was stored."""

    code = "unavailable"


class StoreUnavailable(DomainError):
    """The event store did not answer (503); the client retries with the same submission."""

    code = "store_unavailable"


class Busy(DomainError):
    """The server has no room for this work just now (503 with Retry-After); the client retries."""

    code = "busy"


class PhotoDecodeBusy(Busy):
    """Every slot of the process's photo-decoding budget is taken."""

    code = "decode_busy"
