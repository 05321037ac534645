"""``asterisk-cc user ...``: the dashboard's users from the command line.

* ``user add NAME --role admin|supervisor|agent [--agent LOGIN] [--name "Display Name"]``
  asks for the password twice (or reads one line from standard input without a terminal);
  this is how the first admin is made: there is no default user or password.
* ``user passwd NAME``, ``user disable NAME``, ``user enable NAME``, ``user list``.

Exit codes: 0 done; 2 refused (the message says why); database failures as elsewhere (3).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from asterisk_cc.config import Settings
from asterisk_cc.db.engine import check_database, make_engine, session_factory
from asterisk_cc.db.models import Agent, User
from asterisk_cc.db.users import UserError, create_user, set_password

EXIT_OK = 0
EXIT_REFUSED = 2


def add_user_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    settings_of: Callable[[argparse.Namespace], Settings],
) -> None:
    user = sub.add_parser("user", help="dashboard users: add, passwd, disable, enable, list")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = user_sub.add_parser(
        "add",
        parents=[common],
        help="add a user (the password is asked for twice, or read from standard input)",
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=("admin", "supervisor", "agent"))
    add.add_argument(
        "--agent", metavar="LOGIN", help="the agent an agent user is (needed for agents)"
    )
    add.add_argument("--name", help="display name")
    add.set_defaults(func=lambda args: _run(args, settings_of, _add))

    passwd = user_sub.add_parser("passwd", parents=[common], help="set a user's password")
    passwd.add_argument("username")
    passwd.set_defaults(func=lambda args: _run(args, settings_of, _passwd))

    for action, active in (("disable", False), ("enable", True)):
        p = user_sub.add_parser(
            action, parents=[common], help=f"{action} a user (a disabled user cannot log in)"
        )
        p.add_argument("username")
        p.set_defaults(
            func=lambda args, active=active: _run(
                args, settings_of, lambda s, a: _set_active(s, a, active)
            )
        )

    listing = user_sub.add_parser("list", parents=[common], help="list the users")
    listing.set_defaults(func=lambda args: _run(args, settings_of, _list))


def _run(
    args: argparse.Namespace,
    settings_of: Callable[[argparse.Namespace], Settings],
    action: Callable[[Session, argparse.Namespace], int],
) -> int:
    settings = settings_of(args)
    engine = make_engine(settings.database)
    try:
        check_database(engine, settings.source)
        with session_factory(engine)() as session:
            try:
                code = action(session, args)
            except UserError as exc:
                print(f"asterisk-cc user: {exc}", file=sys.stderr)
                return EXIT_REFUSED
            session.commit()
            return code
    finally:
        engine.dispose()


def read_password(prompt: str = "Password: ") -> str:
    """Twice at a terminal (they must match); one line from standard input otherwise."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise UserError("the two passwords differ")
    return first


def _find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UserError(f"there is no user {username!r}")
    return user


def _add(session: Session, args: argparse.Namespace) -> int:
    user = create_user(
        session,
        username=args.username,
        password=read_password(),
        role=args.role,
        display_name=args.name,
        agent_login=args.agent,
    )
    print(f"user {user.username} ({user.role}) added")
    return EXIT_OK


def _passwd(session: Session, args: argparse.Namespace) -> int:
    user = _find(session, args.username)
    set_password(session, user, read_password("New password: "))
    print(f"password of {user.username} changed; their open sessions have ended")
    return EXIT_OK


def _set_active(session: Session, args: argparse.Namespace, active: bool) -> int:
    user = _find(session, args.username)
    user.active = active
    print(f"user {user.username} {'enabled' if active else 'disabled'}")
    return EXIT_OK


def _list(session: Session, args: argparse.Namespace) -> int:
    rows = session.execute(
        select(User.username, User.role, User.active, User.display_name, Agent.login)
        .outerjoin(Agent, Agent.id == User.agent_id)
        .order_by(User.username)
    ).all()
    for row in rows:
        agent = f" agent {row.login}" if row.login else ""
        state = "" if row.active else " (disabled)"
        print(f"{row.username}\t{row.role}{agent}\t{row.display_name or ''}{state}")
    if not rows:
        print("no users: add the first admin with  asterisk-cc user add NAME --role admin")
    return EXIT_OK
