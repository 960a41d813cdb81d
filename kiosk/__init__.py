"""The kiosk application: the Kivy shell that composes vision, hardware, content and sync.

Only this package imports Kivy, and only from the modules that build the UI.
"""

__version__ = "0.1.0"
