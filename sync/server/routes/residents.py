"""``GET /api/v1/residents/profiles``: residents' profiles, back to every kiosk of the community.

Why this module exists: a resident who signs up on one kiosk (a card, or a
number code with a PIN) must be the same resident, with the same settings
and consent, on every other kiosk of the community. Profiles travel up as
ordinary records (kind ``resident_profile``); this route sends the newest
profile of each resident of the asking kiosk's community back down. Only
kiosks of the same community see them, and a profile holds nothing but the
pseudonym, the optional age group and sex, language, large text, the consent
version and, for a code login, the PIN's salted scrypt hash (the code itself
cannot be recovered without the community key, which the server never has).

Erasure ("Delete my data") needs no route of its own: the kiosk sends an
``erasure_request`` record and the records route carries it out
(``Database.enforce_erasures``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from sync.api import PROFILES_PATH, ProfilesResponse
from sync.server.deps import DB, ApiError, Kiosk

router = APIRouter()

_RESIDENT = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


@router.get(PROFILES_PATH, response_model=ProfilesResponse,
            summary="The newest profile of every resident of this kiosk's community")
async def get_profiles(kiosk: Kiosk, db: DB) -> ProfilesResponse:
    profiles = await run_in_threadpool(db.resident_profiles, kiosk)
    return ProfilesResponse(profiles=profiles)


@router.get(PROFILES_PATH + "/{resident}", response_model=ProfilesResponse,
            responses={404: {"description": "no profile of this resident in the community"}},
            summary="The newest profile of one resident (a code login on a kiosk that lacks it)")
async def get_profile(resident: _RESIDENT, kiosk: Kiosk, db: DB) -> ProfilesResponse:
    profiles = await run_in_threadpool(db.resident_profiles, kiosk, resident)
    if not profiles:
        raise ApiError(404, "no profile of this resident in this kiosk's community")
    return ProfilesResponse(profiles=profiles)
