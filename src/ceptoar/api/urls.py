from django.urls import include, path

from ceptoar.api import views
from ceptoar.api.v1 import api

token_patterns = (
    [
        path("", views.tokens, name="list"),
        path("<int:pk>/revoke/", views.revoke, name="revoke"),
    ],
    "api_tokens",
)

urlpatterns = [
    path("tokens/", include(token_patterns)),
    # /api/docs, /api/openapi.json and /api/v1/…
    path("", api.urls),
]
