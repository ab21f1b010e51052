"""`hogo desk …`: accounts of the privacy office's case desk (/desk) and its reminders."""

from __future__ import annotations

import sys

import typer

from bot.settings import Settings

app = typer.Typer(help="The privacy office's case desk (/desk): accounts and reminders.", no_args_is_help=True)
user_app = typer.Typer(help="Desk accounts: office (may change cases) or auditor (read only).", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _engine():
    from bot.desk.tables import create_desk_tables
    from bot.services import open_store

    store = open_store(Settings())
    create_desk_tables(store.engine)
    return store


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name: lowercase letters, digits, '.', '_' or '-' (e.g. tanaka)."),
    role: str = typer.Option(..., "--role", help="office (may change cases) or auditor (read only)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    no_password: bool = typer.Option(
        False, "--no-password",
        help="No password: the account signs in through the identity provider (the default when "
             "HOGO_DESK_PASSWORD_SIGNIN=false)."),
) -> None:
    """Create a desk account; asks for the password (at least 10 characters) unless --password-stdin, or
    none with password sign-in off (HOGO_DESK_PASSWORD_SIGNIN=false) or --no-password.

    Example: hogo desk user add tanaka --role office
    """
    from bot.desk.accounts import add_user, check_password

    settings = Settings()
    without = no_password or (not settings.desk_password_signin and not password_stdin)
    password = None if without else _password(password_stdin)
    if password is not None:
        check_password(password)
    store = _engine()
    account = add_user(store.engine, name, role, password)
    store.close()
    how = "through the identity provider (no password)" if password is None else "at /desk/login"
    typer.echo(f"account {account.name} ({account.role}) created; signs in {how}")
    if password is None and not settings.desk_oidc_issuer:
        typer.echo(f"warning: no identity provider is set (HOGO_DESK_OIDC_ISSUER); until one is, give the account "
                   f"a password: hogo desk user password {account.name}", err=True)


@user_app.command("list")
def list_() -> None:
    """The desk accounts with their role and whether they may sign in."""
    from bot.desk.accounts import list_users

    store = _engine()
    accounts = list_users(store.engine)
    store.close()
    if not accounts:
        typer.echo("no accounts yet; create one with: hogo desk user add NAME --role office")
    for a in accounts:
        typer.echo(f"{a.name}\t{a.role}\t{'active' if a.active else 'disabled'}\t{a.created_at:%Y-%m-%d}")


@user_app.command("password")
def password(
    name: str = typer.Argument(..., help="The account."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Set a new password for an account; its open sessions end."""
    from bot.desk.accounts import check_password, set_password

    new = _password(password_stdin)
    check_password(new)
    store = _engine()
    set_password(store.engine, name, new)
    store.close()
    typer.echo(f"password of {name} changed")


@user_app.command("disable")
def disable(name: str = typer.Argument(..., help="The account.")) -> None:
    """Stop an account from signing in; its sessions end at once."""
    from bot.desk.accounts import set_active

    store = _engine()
    set_active(store.engine, name, False)
    store.close()
    typer.echo(f"account {name} disabled")


@user_app.command("enable")
def enable(name: str = typer.Argument(..., help="The account.")) -> None:
    """Let a disabled account sign in again."""
    from bot.desk.accounts import set_active

    store = _engine()
    set_active(store.engine, name, True)
    store.close()
    typer.echo(f"account {name} enabled")


@app.command("remind")
def remind() -> None:
    """Post the reminders due now to HOGO_SLACK_REPORT_CHANNEL once (hogo serve does this every 10 minutes).

    Example: hogo desk remind
    """
    from bot.desk import reminders
    from bot.desk.service import Desk
    from bot.web.security import load_secret

    settings = Settings()
    store = _engine()
    desk = Desk(settings, store, None, load_secret(settings.secret_key, settings.data_dir))
    sent = reminders.run(desk)
    store.close()
    typer.echo(f"{len(sent)} reminder(s) posted" + (f": {', '.join(sent)}" if sent else ""))
