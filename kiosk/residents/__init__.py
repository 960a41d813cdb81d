"""Who is using the kiosk, free of Kivy: residents' community-wide pseudonyms.

The community key (``community_key.py``), the card login that turns a card
number into the resident's pseudonym (``identity.py``), number codes and their
PINs (``codes.py``, ``pins.py``), the consent text and its version
(``consent.py``) and profiles (``profiles.py``).
The raw card number never leaves this package's functions: only the
pseudonym is shown, stored or synced.
"""
