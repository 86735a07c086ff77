"""API throttling, in a module of its own: DRF imports it while building its APIView class."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """Throttles integrations (token-authenticated clients) per user; browser sessions are not throttled.

    The rate comes from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]`` (setting
    ``API_TOKEN_THROTTLE_RATE``). Counters live in Django's cache: per process with the default
    local-memory cache, shared with a shared cache (e.g. Redis) when several processes serve.
    """

    scope = "token"

    def get_cache_key(self, request, view):
        if not isinstance(request.successful_authenticator, TokenAuthentication):
            return None
        # The user's id, not the token key: a credential has no business in a (shared) cache.
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
