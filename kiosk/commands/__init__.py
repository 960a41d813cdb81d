"""Subcommands of ``kiosk``: one module each, each exposing ``register(subparsers)``.

Modules here must not import Kivy or heavy libraries at import time: the
parser imports all of them for every invocation.
"""
