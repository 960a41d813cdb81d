"""Residents: sign in by card or number code (with a PIN chosen here), the consent question of
a first sign-in, and "About me" (age group, sex). No home tile: reached from the home
screen's sign-in strip, a card tap, and My records."""

from kiosk.features.registry import Feature, ScreenDecl
from kiosk.i18n import N_

FEATURE = Feature(
    id="residents",
    title=N_("Sign in"),
    subtitle=N_("Card or number code"),
    icon="✓",
    colour=(0.30, 0.30, 0.30, 1),
    order=90,
    tile=False,
    screens=(
        ScreenDecl("sign_in", ".sign_in:SignInScreen", N_("Sign in"), kv=("residents.kv",)),
        ScreenDecl("code_login", ".code_login:CodeLoginScreen", N_("Sign in with a number code"),
                   kv=("residents.kv",)),
        ScreenDecl("new_code", ".new_code:NewCodeScreen", N_("Get a number code"),
                   kv=("residents.kv",), back_returns=False),
        ScreenDecl("consent", ".consent:ConsentScreen", N_("Your records"),
                   kv=("residents.kv",), back_returns=False),
        ScreenDecl("about_me", ".about_me:AboutMeScreen", N_("About me"),
                   kv=("residents.kv",)),
    ),
    services=("residents",),
)
