"""Running a service in the test process, on the real components, with its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from rapport_platform.service import Runtime, ServiceDefinition, build_app


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def running(definition: ServiceDefinition) -> AsyncIterator[RunningService]:
    """Start the app (migrations, relay, consumers, workers), serve it, then stop it."""
    app = build_app(definition)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(app, client)
