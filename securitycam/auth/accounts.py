"""Who is asking: one place that turns a request's credentials into a user and a role.

Credentials are tried in this order and the first that checks out wins:

1. the appliance token of ``appliance-api.md`` (``Authorization: Bearer`` or ``?token=``), which
   acts as the ``admin`` user;
2. a session JWT: ``Authorization: Bearer``, then the ``auth_token``, ``media_token`` and
   ``frigate_token`` cookies;
3. an API key in ``X-API-Key``.

If none does, the first failure is reported (``session expired; log in again`` is more useful
than ``authentication required`` to a client holding an old token). The role always comes from
the users table, not from the token, so a demotion takes effect on the next request.

Every password and second-factor check goes through :class:`LoginThrottle`, and past a limit the
answer is 429 with ``Retry-After``. Failures are counted three ways, each over the last minute:

- per client and user name (5): one client guessing one account;
- per client (20): one client trying many accounts;
- per user name (30), from whatever clients: guessing spread over many addresses. One client can
  add at most 5 to this count before its own limit stops it, so it takes six clients: someone
  mistyping (or one attacker) on the LAN cannot lock the owner out of their own account.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from securitycam.auth.apikeys import ApiKeyStore, InvalidApiKey
from securitycam.auth.ratelimit import RateLimiter
from securitycam.auth.service import AuthService
from securitycam.auth.sessions import InvalidSession, Session, SessionTokens
from securitycam.auth.twofactor import TwoFactor
from securitycam.auth.users import ADMIN, User, UserStore
from securitycam.clock import Clock

log = logging.getLogger(__name__)

SESSION_COOKIES = ("auth_token", "media_token", "frigate_token")
FAILURE_WINDOW = 60.0
PAIR_FAILURES, CLIENT_FAILURES, USER_FAILURES = 5, 20, 30


class NotAuthenticated(ValueError):
    """No credential checked out; the message is the first failure (or that none was sent)."""


class LoginFailed(ValueError):
    """A login that must be refused with ``status``; ``extra`` goes into the JSON answer."""

    def __init__(self, status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class Credentials:
    """What a request presented; built by the HTTP guard, read here."""

    bearer: str | None = None
    query_token: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    api_key: str | None = None


@dataclass(frozen=True)
class Identity:
    """The user behind a request and how they proved it (``token``, ``session``, ``api_key``, ``open``)."""

    user: User | None
    role: str
    via: str
    cookie: str | None = None
    session: Session | None = None

    @property
    def username(self) -> str:
        return self.user.username if self.user else ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginThrottle:
    """Failure counts per (client, user), per client and per user; a check past any limit is refused.

    A success clears only its own (client, user) count: a client must not wipe its record of
    guessing other accounts by logging in to one it owns.
    """

    def __init__(self, clock: Clock) -> None:
        self._pairs = RateLimiter(PAIR_FAILURES, FAILURE_WINDOW, clock)
        self._clients = RateLimiter(CLIENT_FAILURES, FAILURE_WINDOW, clock)
        self._users = RateLimiter(USER_FAILURES, FAILURE_WINDOW, clock)

    def check(self, client: str, username: str) -> None:
        user = username.lower()
        waits = [self._pairs.retry_after((client, user)), self._clients.retry_after(client),
                 self._users.retry_after(user)]
        retry_after = max((w for w in waits if w is not None), default=None)
        if retry_after is not None:
            raise LoginFailed(429, f"too many failed attempts; try again in {retry_after} s", retry_after=retry_after)

    def failed(self, client: str, username: str, what: str) -> None:
        # The attempted secret is never logged, only who tried what from where.
        log.warning("failed %s for user %r from %s", what, username, client)
        user = username.lower()
        self._pairs.record((client, user))
        self._clients.record(client)
        self._users.record(user)

    def succeeded(self, client: str, username: str) -> None:
        self._pairs.reset((client, username.lower()))


class Accounts:
    """Users, sessions, API keys and the second factor, and the checks that use them."""

    def __init__(
        self, auth: AuthService, users: UserStore, sessions: SessionTokens, keys: ApiKeyStore, clock: Clock
    ) -> None:
        self.auth = auth
        self.users = users
        self.sessions = sessions
        self.keys = keys
        self.two_factor = TwoFactor(users, clock)
        self.throttle = LoginThrottle(clock)

    # -- per request -----------------------------------------------------------------------------
    def identify(self, credentials: Credentials) -> Identity:
        """The identity behind ``credentials`` in the documented order; raises :class:`NotAuthenticated`."""
        failures: list[str] = []
        for token in (credentials.bearer, credentials.query_token):
            if token and self.auth.check_token(token):
                return Identity(self.users.get(ADMIN), "admin", "token")
        if credentials.bearer:
            identity = self._from_session(credentials.bearer, None, failures)
            if identity:
                return identity
        for name in SESSION_COOKIES:
            token = credentials.cookies.get(name)
            identity = self._from_session(token, name, failures) if token else None
            if identity:
                return identity
        if credentials.api_key:
            try:
                user = self.users.by_id(self.keys.check(credentials.api_key))
            except InvalidApiKey as exc:
                failures.append(str(exc))
            else:
                if user:
                    return Identity(user, user.role, "api_key")
        if credentials.query_token and not failures:
            failures.append("invalid token")
        raise NotAuthenticated(failures[0] if failures else "authentication required")

    def _from_session(self, token: str, cookie: str | None, failures: list[str]) -> Identity | None:
        try:
            session = self.sessions.decode(token)
        except InvalidSession as exc:
            failures.append(str(exc) if token.count(".") == 2 else "invalid token")
            return None
        user = self.users.get(session.username)
        if user is None or user.session_version != session.version:
            failures.append("session revoked; log in again")
            return None
        return Identity(user, user.role, "session", cookie, session)

    # -- logins ----------------------------------------------------------------------------------
    def login(self, client: str, username: str, password: str, totp_code: str | None) -> User:
        """The user if the password (and, when they use one, the second factor) is right."""
        self.throttle.check(client, username)
        user = self.users.check_password(username, password)
        if user is None:
            self.throttle.failed(client, username, "login")
            raise LoginFailed(401, "incorrect username or password")
        if user.totp_enabled:
            if not totp_code:
                raise LoginFailed(
                    401, "a two-factor code is required: send totp_code (or a recovery code)", totp_required=True
                )
            if not self.two_factor.verify(user, totp_code):
                self.throttle.failed(client, username, "two-factor code")
                raise LoginFailed(401, "the two-factor code is wrong or was already used", totp_required=True)
        self.throttle.succeeded(client, username)
        log.info("user %r logged in from %s", username, client)
        return user

    def confirm_password(self, client: str, user: User, password: str) -> None:
        """Re-check the password of someone already logged in, before a sensitive change."""
        self.throttle.check(client, user.username)
        if self.users.check_password(user.username, password) is None:
            self.throttle.failed(client, user.username, "password check")
            raise LoginFailed(403, "the password is wrong", field="password")
        self.throttle.succeeded(client, user.username)
