"""Who is using the kiosk, free of Kivy: residents' community-wide pseudonyms.

Today: the community key (``community_key.py``) and the card login that turns
a card number into the resident's pseudonym (``identity.py``). Login by a
short code and PIN, guests, consent and profiles (issue 13) belong here too.
The raw card number never leaves this package's functions: only the
pseudonym is shown, stored or synced.
"""
