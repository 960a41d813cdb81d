"""Maintainer mode: reached by holding the bottom-right corner, then a PIN; the status page,
and content from a USB stick (only here: residents never see a stick's contents)."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="maintainer",
    title=N_("Maintainer"),
    subtitle="",
    icon="◆",
    colour=(0.35, 0.35, 0.38, 1),
    order=1000,
    screens=(
        ScreenDecl("pin", ".pin:PinScreen", N_("Maintainer"), kv=("pin.kv",), back_returns=False),
        ScreenDecl("maintainer", ".status:MaintainerScreen", N_("Maintainer"),
                   kv=("status.kv",)),
        ScreenDecl("content_usb", ".usb:UsbScreen", N_("Content from USB"),
                   kv=("status.kv", "usb.kv")),
    ),
    tile=False,
)
