"""``python -m service.auth``: make keys for the keys file.

python -m service.auth new NAME SCOPE   # prints a new key (once) and the line to add
python -m service.auth hash             # reads a key on stdin, prints its digest
"""

from __future__ import annotations

import argparse
import secrets
import sys

from service.auth.keys import SCOPES, digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="make a key and print its keys-file line")
    new.add_argument("name")
    new.add_argument("scope", choices=SCOPES)
    sub.add_parser("hash", help="print the digest of a key read from stdin")
    args = parser.parse_args(argv)
    if args.command == "new":
        key = "nqa_" + secrets.token_urlsafe(32)
        print(f"key (give it to the client; it is not stored): {key}", file=sys.stderr)
        print(f"{args.name} {args.scope} {digest(key)}")
    else:
        print(digest(sys.stdin.readline().strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
