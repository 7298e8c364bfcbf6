"""`Authorization: Bearer <key>` for every API call. The session cookie of the portal is not accepted:
the API has no CSRF protection to offer a browser, and a token names the tool that called."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from ceptoar.api import services

# API error messages stay English (not wrapped for translation): API clients are machines, and their
# operators search for the exact text.
MISSING = "Authentication required: send the header 'Authorization: Bearer <your API token>'."
WRONG_SCHEME = "The Authorization header must be 'Bearer <your API token>'."


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest):
        value = request.headers.get(self.header, "")
        scheme, _space, key = value.strip().partition(" ")
        if not value:
            raise AuthenticationError(message=MISSING)
        if scheme.lower() != self.openapi_scheme or not key.strip():
            raise AuthenticationError(message=WRONG_SCHEME)
        return self.authenticate(request, key.strip())

    def authenticate(self, request: HttpRequest, token: str):
        try:
            api_token = services.token_for_key(token)
        except services.TokenRefused as refusal:
            raise AuthenticationError(message=str(refusal)) from None
        # The rest of the platform (policy, audit, acknowledgements) asks `request.user`; a session cookie
        # sent along with the token does not decide who is calling.
        request.user = api_token.user
        request.api_token = api_token
        return api_token
