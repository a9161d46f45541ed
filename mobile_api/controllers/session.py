"""Sign-in, the caller's record, the vocabulary, health and readiness."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency

from backend.errors import UserDisabledError, UserNotFound
from backend.rules.device import check_device_id
from backend.user import User
from events.vocabulary import (
    Category,
    Department,
    InterventionType,
    ReporterInstitution,
    ReportSource,
    RiskLevel,
    Role,
    VisitType,
    terms,
)
from mobile_api.auth import Caller, Unauthenticated
from mobile_api.common import BEARER, require_json
from mobile_api.schemas import (
    Health,
    LoginRequest,
    LoginResponse,
    PolicyTerms,
    RelayProgress,
    RiskTerm,
    UserInfo,
    Vocabulary,
)
from mobile_api.services import Services
from mobile_api.throttle import client_address


def user_info(caller: Caller) -> UserInfo:
    a = caller.actor
    return UserInfo(id=str(a.id), username=a.username, role=a.role.value, scope=a.scope, department=a.department)


def sign_in(services: Services, request: Request[Any, Any, Any], username: str, password: str, device_id: str) -> User:
    """The one password check behind every sign-in (the API's and the console's), under the login throttle."""
    address = client_address(request.client.host if request.client else None,
                             request.headers.get("x-forwarded-for"), services.trusted_proxies)
    services.throttle.check(username, device_id, address)
    try:
        user = services.app.users.authenticate(username, password)
    except (UserNotFound, UserDisabledError):
        services.throttle.failed(username, device_id, address)
        raise Unauthenticated("wrong username or password") from None
    services.throttle.succeeded(username, device_id)
    return user


class SessionController(Controller):
    path = "/api/v1"
    tags = ["session"]
    guards = [require_json]

    @post("/auth/login", operation_id="login", status_code=200, sync_to_thread=True)
    def login(self, data: LoginRequest, request: Request[Any, Any, Any], services: NamedDependency[Services]) -> LoginResponse:
        """Exchange a username and password for a bearer token bound to this device."""
        device_id = check_device_id(data.device_id)
        user = sign_in(services, request, data.username, data.password, device_id)
        token, expires = services.tokens.issue(user.id, device_id, user.credentials)
        caller = Caller(actor=user.as_actor(), device_id=device_id)
        return LoginResponse(access_token=token, token_type="bearer", expires_at=expires.isoformat(), user=user_info(caller))

    @get("/me", operation_id="me", security=BEARER, sync_to_thread=False)
    def me(self, caller: NamedDependency[Caller]) -> UserInfo:
        """The caller's own account."""
        return user_info(caller)

    @get("/vocabulary", operation_id="vocabulary", security=BEARER, sync_to_thread=False)
    def vocabulary(self, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Vocabulary:
        """Every code the app shows, with Chinese and English labels, the visit interval per risk level and the
        deadlines this server works by (a county's own policy when one is set)."""
        policy = services.settings.policy
        intervals = policy.visit_intervals
        hours, days = (lambda d: d.total_seconds() / 3600), (lambda d: d.total_seconds() / 86400)
        return Vocabulary(
            categories=terms(Category),
            risk_levels=[
                RiskTerm(code=t.code, zh=t.zh, en=t.en, visit_interval_days=days(intervals[RiskLevel(t.code)]))
                for t in terms(RiskLevel)
            ],
            departments=terms(Department),
            intervention_types=terms(InterventionType),
            visit_types=terms(VisitType),
            report_sources=terms(ReportSource),
            roles=terms(Role),
            reporter_institutions=terms(ReporterInstitution),
            policy=PolicyTerms(
                accept_within_hours=hours(policy.accept_within), accept_within_red_hours=hours(policy.accept_within_red),
                complete_within_days=days(policy.complete_within), triage_within_hours=hours(policy.triage_within),
                triage_within_urgent_hours=hours(policy.triage_within_urgent), late_after_hours=hours(policy.late_after),
                max_age_days=days(policy.max_age), due_soon_hours=hours(policy.due_soon_within),
            ),
        )


class HealthController(Controller):
    path = "/"
    tags = ["operations"]

    @get("/health", operation_id="health", sync_to_thread=False)
    def health(self) -> Health:
        """The process is up."""
        return Health(status="ok")

    @get("/ready", operation_id="ready", sync_to_thread=True)
    def ready(self, services: NamedDependency[Services]) -> Response[Health]:
        """The event store, object store and NATS answer and the relay is not stalled; 503 names what is not."""
        checks, relay = services.readiness()
        ok = all(v == "ok" for v in checks.values())
        progress = RelayProgress(**msgspec.structs.asdict(relay)) if relay is not None else None
        health = Health(status="ok" if ok else "unavailable", checks=checks, relay=progress)
        return Response(health, status_code=200 if ok else 503)
