"""A visitor of the guestbook: sign it on one server, or read every server's entries.

    python guestbook.py sign web1 ada "Hello from Ada"
    python guestbook.py read

Run it with the Python the lab is installed in. It asks the lab where the servers are
(`lab status --json`: each server's port 80 on 127.0.0.1, which changes whenever a server
is replaced), then talks HTTP to them, as a browser would: PUT /entries/NAME writes an
entry, GET /entries/ lists them, GET /entries/NAME reads one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import quote

USAGE = __doc__.split("\n\n")[1] if __doc__ else ""


def servers() -> dict[str, str]:
    """Each running server's name and the address of its web server, web1 first."""
    status = subprocess.run([sys.executable, "-m", "lab", "status", "--json"],
                            capture_output=True, text=True)
    if status.returncode != 0:
        raise SystemExit(status.stderr.strip() or "`lab status --json` failed")
    found = {}
    for server in json.loads(status.stdout)["servers"]:
        address = server["ports"].get("80/tcp")
        if server["role"] == "server" and server["state"] == "running" and address:
            found[server["name"]] = f"http://{address}"
    return dict(sorted(found.items()))


def call(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode(errors="replace")


def sign(server: str, name: str, text: str) -> int:
    address = servers().get(server)
    if address is None:
        print(f"{server} is not a running server: `lab status` lists them", file=sys.stderr)
        return 1
    status, _ = call(f"{address}/entries/{quote(name)}", "PUT", (text + "\n").encode())
    if status not in (200, 201, 204):
        print(f"{server}: PUT /entries/{name} answered HTTP {status}", file=sys.stderr)
        return 1
    print(f"{server}: signed as {name}")
    return 0


def read() -> int:
    for server, address in servers().items():
        status, body = call(f"{address}/entries/")
        if status != 200:
            print(f"{server}: GET /entries/ answered HTTP {status}")
            continue
        names = [item["name"] for item in json.loads(body) if item.get("type") == "file"]
        print(f"{server}: {len(names) or 'no'} entr{'y' if len(names) == 1 else 'ies'}")
        for name in names:
            print(f"  {name}: {call(f'{address}/entries/{quote(name)}')[1].strip()}")
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["sign"] and len(arguments) == 4:
        return sign(*arguments[1:])
    if arguments == ["read"]:
        return read()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
