"""``python -m service.auth``: make keys for the keys file.

python -m service.auth new NAME SCOPE   # prints a new key (once) and the line to add
python -m service.auth hash             # reads a key on stdin, prints its digest
python -m service.auth init FILE        # a keys file with an admin and a read key, unless
                                        # FILE exists (docker compose's first start)
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

from service.auth.keys import SCOPES, digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="make a key and print its keys-file line")
    new.add_argument("name")
    new.add_argument("scope", choices=SCOPES)
    sub.add_parser("hash", help="print the digest of a key read from stdin")
    init = sub.add_parser("init", help="create a keys file with new keys unless it exists")
    init.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "new":
        key = new_key()
        print(f"key (give it to the client; it is not stored): {key}", file=sys.stderr)
        print(f"{args.name} {args.scope} {digest(key)}")
    elif args.command == "init":
        return init_keys_file(args.file)
    else:
        print(digest(sys.stdin.readline().strip()))
    return 0


def new_key() -> str:
    return "nqa_" + secrets.token_urlsafe(32)


def init_keys_file(path: Path) -> int:
    """First start of a deployment: keys exist before the API listens (never keyless)."""
    if path.exists() and path.stat().st_size > 0:
        print(f"{path} exists: keys unchanged", file=sys.stderr)
        return 0
    keys = {"admin": new_key(), "reader": new_key()}
    lines = [
        f"{name} {'admin' if name == 'admin' else 'read'} {digest(k)}" for name, k in keys.items()
    ]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # an empty file left by an interrupted first start
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    except PermissionError:
        print(
            f"cannot create {path}: its folder is not writable by this user (uid {os.getuid()}); "
            "with docker compose, use the default `keys` volume or a host folder this uid owns",
            file=sys.stderr,
        )
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    # Shown once (`docker compose logs keys`); only digests are stored.
    for name, key in keys.items():
        print(f"new {name} key (store it now; it is not kept): {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
