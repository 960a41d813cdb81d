"""My records: the signed-in resident's recent sessions, read from the local store."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="records",
    title=N_("My records"),
    subtitle=N_("See what you have done"),
    icon="✓",
    colour=(0.48, 0.28, 0.62, 1),
    order=40,
    screens=(ScreenDecl("records", ".screen:RecordsScreen", N_("My records"),
                        kv=("records.kv",)),),
    services=("store",),
)
