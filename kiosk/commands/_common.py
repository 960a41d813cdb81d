"""Helpers shared by subcommands: loading the config with a clean error."""

from __future__ import annotations

import argparse
import sys

from kiosk.config import Config, ConfigError, load_config


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $KIOSK_CONFIG, then the user config directory)",
    )


def config_or_exit(args: argparse.Namespace) -> Config:
    """Load the config, or print every problem and exit with status 2."""
    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
