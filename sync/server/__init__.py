"""The central server's ingest side: FastAPI app, database, ``kiosk-server`` CLI.

Not imported by the kiosk at run time (the kiosk only needs ``sync.records``
and ``sync.api``); it shares the record schema with the client.
"""
