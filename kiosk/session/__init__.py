"""One coached activity session, free of Kivy: its record and save, and the demo person.

The coaching screen (``kiosk/features/exercise/``) and, later, the fitness
tests drive a session from here; nothing in this package imports Kivy, so it
is tested without a window.
"""
