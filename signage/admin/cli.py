"""``signage admin``: run the service, and make its credentials (wired into signage/cli.py).

    signage admin [serve] [--host H] [--port P] [--data DIR]
    signage admin user add NAME [--role operator|advertiser] [--password-stdin]   (asks twice otherwise)
    signage admin user list | remove NAME              (list: each user's role)
    signage admin token create NAME [--role R | --user USER]   (prints the token once)
    signage admin token list | revoke NAME
    signage admin audit [--since ISO|7d] [--account NAME] [--limit N] [--json]
    signage admin sessions [--end NAME]              (security_cli.py)
"""

from __future__ import annotations

import argparse
import getpass
import sys

from signage.admin.access import ROLES
from signage.admin.auth import AuthError, Credentials
from signage.admin.security_cli import SECURITY_COMMANDS, add_security_arguments, cli_event, run_security, user_changed
from signage.config import Settings

__all__ = ["add_admin_arguments", "run_admin"]


def add_admin_arguments(p: argparse.ArgumentParser) -> None:
    p.description = ("The advertisers' upload service: pages and a JSON API to upload, validate, simulate, "
                     "activate and roll back playlists, and read reports. Binds to admin.host (127.0.0.1) "
                     "unless told otherwise; see docs/admin.md.")
    sub = p.add_subparsers(dest="admin_command")
    s = sub.add_parser("serve", help="run the service (the default)")
    for q in (p, s):
        q.add_argument("--host", default=None, help="address to listen on (default: admin.host)")
        q.add_argument("--port", type=int, default=None, help="port (default: admin.port)")
        q.add_argument("--data", default=None, metavar="DIR", help="content folder (default: admin.data_dir)")

    u = sub.add_parser("user", help="accounts for the pages").add_subparsers(dest="user_command", required=True)
    ua = u.add_parser("add", help="add a user, or set a user's password")
    ua.add_argument("name")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    ua.add_argument("--role", choices=ROLES, default=None,
                    help="operator (everything) or advertiser (their own content); a new user: operator, "
                         "an existing one keeps theirs unless given")
    u.add_parser("list", help="list the users")
    ur = u.add_parser("remove", help="remove a user")
    ur.add_argument("name")

    t = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    tc = t.add_parser("create", help="make a token (printed once; stored hashed)")
    tc.add_argument("name")
    tw = tc.add_mutually_exclusive_group()
    tw.add_argument("--role", choices=ROLES, default=None, help="the token's own role (default operator)")
    tw.add_argument("--user", default=None, help="the token acts for this user, with the user's role and content")
    t.add_parser("list", help="list the tokens' names")
    tr = t.add_parser("revoke", help="revoke a token")
    tr.add_argument("name")
    add_security_arguments(sub)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise AuthError("the two passwords differ")
    return first


def run_admin(args: argparse.Namespace, settings: Settings) -> int:
    creds = Credentials(settings.admin.credentials_file)
    cmd = args.admin_command or "serve"
    if cmd in SECURITY_COMMANDS:
        return run_security(args, settings)
    try:
        if cmd == "serve":
            overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("data_dir", args.data))
                         if v is not None}
            if overrides:
                settings = settings.model_copy(update={"admin": settings.admin.model_validate(
                    {**settings.admin.model_dump(), **overrides})})
            from signage.admin.app import serve

            return serve(settings)
        if cmd == "user":
            if args.user_command == "add":
                creds.add_user(args.name, _password(args), role=args.role)
                print(f"user {args.name} ({creds.role(args.name)}) saved in {creds.path}")
                user_changed(settings, args.name, "user.saved")
            elif args.user_command == "list":
                print("\n".join(f"{n}\t{r}" for n, r in creds.users_with_roles()) or "(no user)")
            elif not creds.remove_user(args.name):
                print(f"signage admin: no user {args.name}", file=sys.stderr)
                return 1
            else:
                user_changed(settings, args.name, "user.removed")
            return 0
        if cmd == "token":
            if args.token_command == "create":
                token = creds.create_token(args.name, role=args.role, user=args.user)
                cli_event(settings, "token.created", f"token:{args.name}")
                print(token)
                print(f"token {args.name!r} saved (hashed) in {creds.path}; this is the only time it is shown",
                      file=sys.stderr)
            elif args.token_command == "list":
                print("\n".join(f"{n}\t{r}" for n, r in creds.tokens_with_roles()) or "(no token)")
            elif not creds.revoke_token(args.name):
                print(f"signage admin: no token {args.name}", file=sys.stderr)
                return 1
            else:
                cli_event(settings, "token.revoked", f"token:{args.name}")
            return 0
    except (AuthError, ValueError) as exc:
        print(f"signage admin: {exc}", file=sys.stderr)
        return 2
    return 2
