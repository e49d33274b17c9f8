"""Authentication: the dashboard password, API tokens, rate limits."""

from securitycam.auth.ratelimit import RateLimiter
from securitycam.auth.service import AuthService, WrongPassword

__all__ = ["AuthService", "RateLimiter", "WrongPassword"]
