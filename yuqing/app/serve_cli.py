"""`yuqing serve`: the web console (where a team works its incidents), and `yuqing serve
hash-password`, which makes the argon2 hash a `console.users` entry carries."""
from __future__ import annotations

import sys

import click

from yuqing.app import config as config_mod
from yuqing.app.common import console, err, fail


@click.group("serve", invoke_without_command=True)
@click.option("--host", default=None, help="address to bind  [default: console.host, 127.0.0.1]")
@click.option("--port", type=int, default=None, help="port  [default: console.port, 8765]")
@click.option("--config", "config_path", envvar="YUQING_CONFIG", default=config_mod.DEFAULT_PATH, show_default=True,
              type=click.Path(dir_okay=False), help="config file (or set YUQING_CONFIG)")
@click.pass_context
def serve(ctx: click.Context, config_path: str, host: str | None, port: int | None) -> None:
    """Serve the web console (incidents, events, response effect) until Ctrl-C.

    Accounts come from `console.users` in config.yaml; make a password hash with
    `yuqing serve hash-password`.
    """
    if ctx.invoked_subcommand is not None:
        return  # hash-password needs no config
    try:
        cfg = config_mod.load(config_path)
    except config_mod.ConfigError as e:
        err.print(f"[red]config error[/red]\n{e}", highlight=False, markup=True)
        sys.exit(2)
    from yuqing.app.console.server import build, make_server

    host = host or cfg.console.host
    port = cfg.console.port if port is None else port
    if not cfg.console.users:
        err.print("[yellow]warning:[/yellow] console.users is empty, so nobody can log in; add a user with a hash "
                  "from `yuqing serve hash-password`", highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1") and not cfg.console.https:
        err.print(f"[yellow]warning:[/yellow] serving on {host} over plain http: passwords and session cookies "
                  "cross the network in clear; put a TLS reverse proxy in front and set console.https: true",
                  highlight=False)
    try:
        server = make_server(build(cfg), host, port)
    except OSError as e:
        fail(f"cannot listen on {host}:{port} ({e.strerror or e}); choose another with --port", 2)
    console.print(f"yuqing console at http://{host}:{server.effective_port}/ (Ctrl-C to stop)", highlight=False)
    try:
        server.run()
    except KeyboardInterrupt:
        pass


@serve.command("hash-password")
@click.option("--password-stdin", is_flag=True, help="read the password from stdin (scripts) instead of a prompt")
def hash_password(password_stdin: bool) -> None:
    """Print the argon2 hash of a password, for `console.users[].password_hash`."""
    from yuqing.app.console.auth import hash_password as make

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        fail("a console password needs at least 8 characters", 2)
    click.echo(make(password))
