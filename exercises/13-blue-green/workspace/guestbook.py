"""A visitor of the guestbook, through the load balancer: sign it, or read its entries.

    python guestbook.py sign ada "Hello from Ada"
    python guestbook.py read

Run it with the Python the lab is installed in. It asks the lab where the load balancer is
(`lab status --json`), then talks HTTP to it, as a browser would: PUT /entries/NAME writes
an entry, GET /entries/ lists them, GET /entries/NAME reads one. The balancer passes each
request to one of the servers, whichever colour they are; all of them keep the entries in
the same volume. A visitor who meets an error (HTTP 500) tries again, up to five times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

USAGE = __doc__.split("\n\n")[1] if __doc__ else ""
TRIES = 5


def balancer() -> str:
    """The load balancer's address, like http://127.0.0.1:32768."""
    status = subprocess.run([sys.executable, "-m", "lab", "status", "--json"],
                            capture_output=True, text=True)
    if status.returncode != 0:
        raise SystemExit(status.stderr.strip() or "`lab status --json` failed")
    found = json.loads(status.stdout).get("load_balancer")
    if not found or not found.get("url"):
        raise SystemExit("this exercise has no load balancer running: `lab start` brings it up")
    return str(found["url"])


def call(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode(errors="replace")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode(errors="replace")
    except OSError as failure:
        return 0, str(getattr(failure, "reason", failure))


def patiently(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, str]:
    """The request, tried again after an error (HTTP 5xx, or no answer), as a visitor would."""
    for attempt in range(1, TRIES + 1):
        status, body = call(url, method, data)
        if status and status < 500:
            return status, body
        print(f"  {method} /{url.split('/', 3)[-1]}: "
              f"{f'HTTP {status}' if status else 'no answer'} (try {attempt} of {TRIES})",
              file=sys.stderr)
        time.sleep(0.2)
    return status, body


def sign(name: str, text: str) -> int:
    status, _ = patiently(f"{balancer()}/entries/{quote(name)}", "PUT", (text + "\n").encode())
    if status not in (200, 201, 204):
        print(f"PUT /entries/{name} answered HTTP {status}", file=sys.stderr)
        return 1
    print(f"signed as {name}")
    return 0


def read() -> int:
    address = balancer()
    status, body = patiently(f"{address}/entries/")
    if status != 200:
        print(f"GET /entries/ answered HTTP {status}")
        return 1
    names = [item["name"] for item in json.loads(body) if item.get("type") == "file"]
    print(f"{len(names) or 'no'} entr{'y' if len(names) == 1 else 'ies'}")
    for name in names:
        print(f"  {name}: {patiently(f'{address}/entries/{quote(name)}')[1].strip()}")
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["sign"] and len(arguments) == 3:
        return sign(*arguments[1:])
    if arguments == ["read"]:
        return read()
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
