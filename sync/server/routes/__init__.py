"""The server's HTTP routes, one router module per area, included by ``create_app``.

Add an area (say the manager's pages) as a module here with a ``router`` and
list it in :data:`ROUTERS`.
"""

from __future__ import annotations

from fastapi import APIRouter

from sync.server.routes import community, health, heartbeat, records, residents

ROUTERS: tuple[APIRouter, ...] = (records.router, heartbeat.router, health.router,
                                   residents.router, community.router)
