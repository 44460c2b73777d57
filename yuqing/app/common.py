"""What every subcommand shares: the consoles, `fail`, `--config` loading the root config, and the
time options' parsing."""
from __future__ import annotations

import functools
import sys
from datetime import datetime, timezone

import click
from rich.console import Console

from yuqing.app import config as config_mod

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def config_option(f):
    """Every subcommand takes --config; the loaded, validated Config is passed as `cfg`."""

    @click.option("--config", "config_path", envvar="YUQING_CONFIG", default=config_mod.DEFAULT_PATH,
                  show_default=True, type=click.Path(dir_okay=False),
                  help="config file (or set YUQING_CONFIG)")
    @functools.wraps(f)
    def wrapper(*args, config_path: str, **kwargs):
        try:
            cfg = config_mod.load(config_path)
        except config_mod.ConfigError as e:
            err.print(f"[red]config error[/red]\n{e}", highlight=False, markup=True)
            sys.exit(2)
        return f(*args, cfg=cfg, **kwargs)

    return wrapper


def parse_when(value: str, tz: str, option: str | None = None) -> datetime:
    """`--since` / `--until` / `--at`: the one time grammar (yuqing/times.py), read against the
    clock now, as a click error naming the value (and `option`, when given)."""
    from yuqing.times import parse_when as _parse_when

    try:
        return _parse_when(value, datetime.now(timezone.utc), tz)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


def fail(msg: str, code: int = 1):
    err.print(f"[red]error:[/red] {msg}", highlight=False)
    sys.exit(code)
