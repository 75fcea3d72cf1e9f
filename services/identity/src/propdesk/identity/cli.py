"""`propdesk accounts …`: what an operator does before anyone can sign in (the first platform admin) and when
someone is stuck (a forgotten password, a lockout). Works on identity's database directly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import typer
from sqlalchemy import select

app = typer.Typer(help="Accounts in identity: platform admins, passwords, lockouts", no_args_is_help=True)


def _run(work: Callable[..., Awaitable[str]]) -> None:
    from propdesk.common.db import create_engine, create_sessionmaker, platform_tables
    from propdesk.common.uow import unit_of_work
    from propdesk.identity.main import SERVICE

    async def main() -> str:
        settings = SERVICE.settings()
        engine = create_engine(settings.require_database_url(), pool_size=1, app_name="propdesk-accounts")
        try:
            maker = create_sessionmaker(engine, platform_tables(SERVICE.schema), settings)
            async with unit_of_work(maker) as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(main()))
    except Exception as exc:  # a domain error: its message, not a traceback
        typer.secho(f"{type(exc).__name__}: {exc}", fg="red")
        raise typer.Exit(1) from exc


@app.command("create-admin")
def create_admin(
    login: str = typer.Option(..., help="the admin's login name"),
    name: str = typer.Option("Platform admin"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create a platform admin (every estate)."""
    from propdesk.identity.service import accounts

    async def work(session) -> str:
        account = await accounts.create_platform_admin(session, login=login, name=name, password=password)
        return f"platform admin {account.login} created ({account.id})"

    _run(work)


@app.command("set-password")
def set_password(
    login: str = typer.Option(..., help="the account's login name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Give an account a new password, to be changed at the next sign-in; its sessions end."""
    from propdesk.identity.models import Account
    from propdesk.identity.service import accounts

    async def work(session) -> str:
        account = (
            await session.execute(select(Account).where(Account.login == login.lower()))
        ).scalar_one_or_none()
        if account is None:
            raise LookupError(f"no account with login {login}")
        await accounts.set_initial_password(
            session, account, password=password, login=account.login, actor="cli"
        )
        return f"{login}: password set; it must be changed at the next sign-in"

    _run(work)


@app.command("unlock")
def unlock(login: str = typer.Option(..., help="the account's login name")) -> None:
    """Lift an account's lockout."""
    from propdesk.identity.models import Account
    from propdesk.identity.service import accounts

    async def work(session) -> str:
        account = (
            await session.execute(select(Account).where(Account.login == login.lower()))
        ).scalar_one_or_none()
        if account is None:
            raise LookupError(f"no account with login {login}")
        accounts.unlock(session, account, actor="cli")
        return f"{login}: unlocked"

    _run(work)
