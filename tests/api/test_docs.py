"""The API documentation: Swagger UI served from the site itself (closed networks: no CDN), and an
OpenAPI document that lists every endpoint."""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/alerts": {"get"},
    "/api/v1/alerts/{alert_id}": {"get"},
    "/api/v1/alerts/{alert_id}/acknowledge": {"post"},
    "/api/v1/alerts/{alert_id}/acknowledgement": {"get"},
}


def test_the_docs_page_loads_nothing_from_outside_the_site(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # No absolute URL of any kind, not even protocol-relative: everything comes from this site.
    assert not re.findall(r"(?:https?:)?//[\w.-]+", html)
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert references, "the page should load Swagger UI's files"
    assert all(reference.startswith("/") and not reference.startswith("//") for reference in references)
    # Each of them is really served here.
    for reference in references:
        served = client.get(reference)
        assert served.status_code == 200, reference
        content = b"".join(served.streaming_content) if served.streaming else served.content
        assert content, reference
    # The settings point Swagger UI at our own document and turn off its online validator badge.
    settings_json = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    swagger_settings = json.loads(settings_json.group(1))
    assert swagger_settings["url"] == "/api/openapi.json"
    assert swagger_settings["validatorUrl"] is None


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "CEPTOAR platform API" and document["info"]["version"] == "1"
    paths = {path: set(operations) for path, operations in document["paths"].items()}
    assert paths == ENDPOINTS

    # Every operation needs the bearer token, has a unique id, and documents its answers.
    schemes = document["components"]["securitySchemes"]
    assert {scheme["type"]: scheme["scheme"] for scheme in schemes.values()} == {"http": "bearer"}
    operation_ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{name: []} for name in schemes], (path, method)
            assert {"200", "401"} <= set(operation["responses"]), (path, method)
            operation_ids.append(operation["operationId"])
    assert len(operation_ids) == len(set(operation_ids))
    acknowledge = document["paths"]["/api/v1/alerts/{alert_id}/acknowledge"]["post"]
    assert {"200", "201", "400", "404", "409", "422"} <= set(acknowledge["responses"])

    # Every reference resolves inside the document.
    components = document["components"]["schemas"]
    refs = set(_refs(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in components, ref


def test_the_document_states_every_bound_and_answer(client):
    document = client.get("/api/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            # The token and the parameters can be refused on every operation, each with its body.
            responses = operation["responses"]
            assert {"401", "422"} <= set(responses), (path, method)
            for status, answer in responses.items():
                assert answer["content"]["application/json"]["schema"]["$ref"], (path, method, status)
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["name"] == "limit":
                    assert (schema["minimum"], schema["maximum"]) == (1, 200)
                elif schema.get("type") == "integer":  # ids and offsets: the database's integers
                    assert (schema["minimum"], schema["maximum"]) in {(0, 2**63 - 1), (1, 2**63 - 1)}
                assert "anyOf" not in schema, (path, parameter)  # no `null` for a URL parameter
    since = document["paths"]["/api/v1/alerts"]["get"]["parameters"][2]
    assert since["name"] == "since"
    assert (since["schema"]["type"], since["schema"]["format"]) == ("string", "date-time")
    acknowledge = document["paths"]["/api/v1/alerts/{alert_id}/acknowledge"]["post"]
    assert "403" in acknowledge["responses"] and "read_acknowledge" in acknowledge["description"]
    body = acknowledge["requestBody"]
    assert body["required"] is False
    assert body["content"]["application/json"]["schema"]["allOf"] == [
        {"$ref": "#/components/schemas/AcknowledgeIn"}
    ]
    assert document["components"]["schemas"]["AcknowledgeIn"]["additionalProperties"] is False
