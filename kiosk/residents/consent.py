"""What a resident agrees to on their first sign-in, in plain words, and its version.

Why this module exists: the consent a resident gives must be exactly the
text they were shown, and a record must say which text it was. The text
lives here (gettext msgids, so it is shown in Chinese or English), and
``CONSENT_VERSION`` changes whenever its meaning changes: a resident who
accepted an older version is asked again. The figures in it (how long this
kiosk keeps records) come from the config, so the text never promises what
the kiosk does not do.
"""

from __future__ import annotations

from kiosk.i18n import N_, tr

CONSENT_VERSION = "1"

HEADING = N_("Before we keep your records")
PARAGRAPHS: tuple[str, ...] = (
    N_("What we keep: a number made from your card or code (never your name or the card number), your age group and sex if you tell us, your language and text size, and what you do here: exercises, lessons and test results."),
    N_("Where: on this station, and on the community's server so that every station of the community knows you. Community staff see totals and test results, not names."),
    N_("How long: this station keeps your records for {days} days after they reach the server. The server keeps them until you delete them."),
    N_("You can delete everything at any time: My records, then Delete my data."),
    N_("If you do not agree, you can still use the station as a guest. Nothing about you is kept."),
)
ACCEPT = N_("I agree")
DECLINE = N_("Continue as a guest")


def consent_text(lang: str, retention_days: int) -> list[str]:
    """The consent's paragraphs in ``lang``, with this kiosk's figures filled in."""
    return [tr(p, lang, days=retention_days) if "{days}" in p else tr(p, lang)
            for p in PARAGRAPHS]
