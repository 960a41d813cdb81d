"""Everything between a validated config and a running app, and the checks of it.

``launch.py`` starts the kiosk (data directory, logs, fonts, a display,
Kivy's environment, then Kivy); ``display.py``, ``fonts.py``,
``kivy_env.py`` and ``logs.py`` are its steps; ``doctor.py`` checks the same
things for ``kiosk doctor`` without starting anything.
"""
