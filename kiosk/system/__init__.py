"""How the kiosk lives on its machine: systemd readiness and watchdog, a supervisor,
opening hours, screen power and journal logging. Kivy-free; the app wires them in.
"""
