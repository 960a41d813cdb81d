"""Simulated serial devices on real pseudo-terminals, with fault injection.

Why this package exists: the kiosk, its tests and the bench must exercise the
whole path through a real serial port without the hardware on the desk. A
simulator writes exactly the bytes a real device sends (using the drivers'
own encoders) into a pty, at the real device's pace, and can inject garbage,
bad checksums, truncated frames, wrong-baud-rate noise, and unplug/replug.
"""

from hardware.sim.faults import Faults, uart_resample
from hardware.sim.pty_port import PtyPort
from hardware.sim.simulator import DeviceSimulator, start_simulators

__all__ = ["DeviceSimulator", "Faults", "PtyPort", "start_simulators", "uart_resample"]
