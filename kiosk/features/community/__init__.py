"""Community life: running challenges with the resident's own part, events to sign up for,
polls, feedback with replies, and the attract loop's community slides (``attract.py``).
What the server sends comes through the sync service's community client
(``sync.community_client``); votes, sign-ups and feedback are records."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="community",
    title=N_("Community"),
    subtitle=N_("Challenges, events, polls and your views"),
    icon="❀",
    colour=(0.80, 0.36, 0.12, 1),
    order=50,
    screens=(
        ScreenDecl("community", ".screen:CommunityScreen", N_("Community"),
                   kv=("community.kv",)),
    ),
    services=("store", "sync"),
    attract=".attract:slides",
)
