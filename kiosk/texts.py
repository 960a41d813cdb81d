"""Message ids that are chosen in code rather than written in a ``t('...')`` call.

Kept here, free of Kivy, so the catalogue test can check them without a window.
"""

from __future__ import annotations

TITLES: dict[str, str] = {
    "attract": "Welcome",
    "home": "Home",
    "exercise": "Exercise",
    "lessons": "Lessons",
    "fitness": "Fitness test",
    "records": "My records",
    "pin": "Maintainer",
    "maintainer": "Maintainer",
    "coach": "Exercise",
    "summary": "Your results",
}

# Parts of the kiosk the status page always lists; a part no service reports on
# yet is shown as "not yet available" rather than silently missing.
STATUS_AREAS: dict[str, str] = {
    "camera": "Camera",
    "vision": "Pose model",
    "sensors": "Serial devices",
    "store": "Store",
    "sync": "Sync",
    "content": "Content",
}

STATE_TEXT: dict[str, str] = {
    "ok": "Working",
    "warning": "Warning",
    "error": "Error",
    "unavailable": "Unavailable",
    "not_available_yet": "Not yet available",
}

# Extra facts a service reports on a status row, shown under its detail.
EXTRA_LABELS: dict[str, str] = {
    "last_reading": "Last reading",
    "readings": "Readings",
    "rejected": "Rejected",
    "errors": "Errors",
    "reconnects": "Reconnects",
    "waiting": "Waiting",
    "when": "When",
    "fps": "Frames per second",
    "reopened": "Reopened",
    "restarts": "Restarts",
}
EXTRA_HIDDEN = {"driver", "state", "port", "records", "files", "simulated"}

FEATURE_PREPARING = "This part of the station is being prepared. Please check back soon."

ALL: set[str] = set(TITLES.values()) | set(STATUS_AREAS.values()) | set(STATE_TEXT.values()) | set(
    EXTRA_LABELS.values()) | {
    FEATURE_PREPARING
}
