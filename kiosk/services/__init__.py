"""Kivy-free services the kiosk app starts: sensors, store, sync, vision.

Why this package exists: the app composes the plain libraries (``vision``,
``hardware``, ``content``, ``sync``) through small adapters that know the
config, run in background threads and hand results to the UI thread through
a ``post`` callable. They never import Kivy, so they are tested without a
window; the maintainer status page reads their ``status()`` rows.
"""
