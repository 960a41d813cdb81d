"""Community life on the server: what managers publish and what residents send back.

Why this package exists: challenges, events, polls, feedback and announcements
(issue 15) cut across the ingest path, the kiosks' pull channel and the manager
pages; each of those stays thin and calls into here:

* :mod:`.items` stores what managers publish (one row per item holding the
  item's wire model from :mod:`sync.community`) and the feed's version counter;
* :mod:`.ingest` applies the community rules to records as they are stored, in
  the same transaction (one vote per resident per poll, event capacity, what
  each record adds to each challenge by :func:`sync.community.counts_toward`);
* :mod:`.feed` builds the kiosks' :class:`sync.community.Feed` and one
  resident's :class:`sync.community.ResidentInbox` from those tables.
"""
