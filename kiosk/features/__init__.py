"""The kiosk's features, one folder each (exercise, lessons, fitness test, my records, ...).

A folder here is a feature: its ``__init__.py`` declares ``FEATURE =
Feature(...)`` (see ``kiosk/features/registry.py``), and its screens and kv
files sit beside it. The kiosk finds the folders at start; the home screen
shows a tile for each (the config's ``[home] features`` chooses which and in
what order); a feature's kv files are loaded and its screens built on the
first visit. Adding a feature is adding a folder.
"""
