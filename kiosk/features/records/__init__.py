"""My records: the signed-in resident's sessions, lessons and tests, weekly totals and a
streak, activity per week, each fitness test over time against its normal range; About me
and "Delete my data". Read from the store's index, off the UI thread."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="records",
    title=N_("My records"),
    subtitle=N_("See what you have done"),
    icon="✓",
    colour=(0.48, 0.28, 0.62, 1),
    order=40,
    screens=(
        ScreenDecl("records", ".screen:RecordsScreen", N_("My records"), kv=("records.kv",)),
        ScreenDecl("records_delete", ".delete:DeleteScreen", N_("Delete my data"),
                   kv=("records.kv",), back_returns=False),
    ),
    services=("store",),
)
