"""A small FHIR server for the tests: takes transaction Bundles, honours conditional
creates and updates, records what it got, and can be taken down and brought back."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from aiohttp import web


class FhirServer:
    def __init__(self) -> None:
        self.down = False
        self.requests = 0
        self.resources: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.by_identifier: dict[str, str] = {}

    def count(self, kind: str) -> int:
        return len(self.resources[kind])

    async def transaction(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.down:
            return web.json_response({"resourceType": "OperationOutcome"}, status=503)
        bundle = await request.json()
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            return web.json_response({"resourceType": "OperationOutcome"}, status=400)
        responses = []
        for entry in bundle["entry"]:
            resource, how = entry["resource"], entry["request"]
            kind = resource["resourceType"]
            if how["method"] == "PUT" and "?" in how["url"]:  # a conditional update
                condition = how["url"].split("?", 1)[1]
                resource_id = self.by_identifier.setdefault(
                    f"{kind}?{condition}", str(uuid.uuid4())
                )
                status = "200 OK" if resource_id in self.resources[kind] else "201 Created"
            elif how["method"] == "PUT":
                resource_id = how["url"].split("/", 1)[1]
                status = "200 OK" if resource_id in self.resources[kind] else "201 Created"
            else:
                condition = how.get("ifNoneExist", "")
                existing = self.by_identifier.get(f"{kind}?{condition}")
                if existing is not None:
                    responses.append(
                        {"response": {"status": "200 OK", "location": f"{kind}/{existing}"}}
                    )
                    continue
                resource_id = str(uuid.uuid4())
                self.by_identifier[f"{kind}?{condition}"] = resource_id
                status = "201 Created"
            self.resources[kind][resource_id] = resource
            responses.append({"response": {"status": status, "location": f"{kind}/{resource_id}"}})
        return web.json_response(
            {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/fhir", self.transaction)
        return app
