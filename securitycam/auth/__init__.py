"""Authentication: users and roles, the appliance token, sessions, API keys, two-factor, rate limits."""

from securitycam.auth.accounts import Accounts, Credentials, Identity, LoginFailed, NotAuthenticated
from securitycam.auth.ratelimit import RateLimiter
from securitycam.auth.service import AuthService

__all__ = ["Accounts", "AuthService", "Credentials", "Identity", "LoginFailed", "NotAuthenticated", "RateLimiter"]
