"""Fixtures of the API tests: a token for a demo account, and a client that sends it."""

from __future__ import annotations

import json

import pytest

from ceptoar.api import services


class ApiClient:
    """Django's test client with `Authorization: Bearer <key>` on every request."""

    def __init__(self, client, key: str):
        self.client, self.key = client, key

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.key}", **(headers or {})}

    def get(self, path, data=None, headers=None):
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None, content_type="application/json"):
        payload = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.post(path, payload, content_type=content_type, headers=self._headers(headers))


@pytest.fixture
def token_for(demo_user):
    """token_for("demo-member") → a fresh API key of that demo account."""

    def make(username: str, name: str = "test tool") -> str:
        _token, key = services.create_token(demo_user(username), name)
        return key

    return make


@pytest.fixture
def api_as(client, token_for):
    """api_as("demo-member") → a client calling the API with a new token of that account."""

    def make(username: str) -> ApiClient:
        return ApiClient(client, token_for(username))

    return make
