"""The installation's SSH key: an ed25519 pair created once, safely against racing processes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lab.errors import StateError

KEY_COMMENT = "immutable-lab"


def ensure_key(path: Path) -> Path:
    """Create the installation's ed25519 key pair at `path` (and `.pub`) unless it exists."""
    path = Path(path)
    if not path.exists():
        _create_private_key(path)
    _tighten(path)
    _write_public_file(path)
    return path


def public_key(path: Path) -> str:
    """The `ssh-ed25519 AAAA... immutable-lab` line for the private key at `path`."""
    # Derived from the private key rather than read from the .pub file, so the two can never
    # disagree, even while another process is still writing the .pub file.
    private = load_private(Path(path))
    line = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{line.decode('ascii')} {KEY_COMMENT}"


def load_private(path: Path) -> Ed25519PrivateKey:
    """The private key at `path`, or StateError saying it is missing or unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StateError(
            f"the lab's SSH key {path} does not exist", "Run `lab start`; it creates the key"
        ) from None
    try:
        key = serialization.load_ssh_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise _unreadable(path, exc) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _unreadable(path, "not an ed25519 key")
    return key


def _unreadable(path: Path, reason: object) -> StateError:
    return StateError(
        f"the lab's SSH key {path} cannot be read ({reason})",
        "Delete it and run `lab start` again; servers receive the new key when they are recreated",
    )


def _create_private_key(path: Path) -> None:
    _make_private_dir(path.parent)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    temp = _write_temp(path.parent, pem, 0o600)
    try:
        _publish_once(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _make_private_dir(directory: Path) -> None:
    # Only a directory we create is made 0700; an existing one may be shared and is left alone.
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700, parents=True)


def _write_temp(directory: Path, data: bytes, mode: int) -> Path:
    """A complete, fsynced file in `directory` (mkstemp creates it 0600), ready to be renamed."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-key-")
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.chmod(name, mode)
    return Path(name)


def _publish_once(temp: Path, path: Path) -> None:
    # A hard link appears atomically and never replaces an existing file: when two processes
    # race, the first link wins, the loser keeps the winner's key, and no reader ever sees a
    # half-written file.
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    except OSError:
        # No hard links on this file system (some network and FUSE mounts): a rename is still
        # atomic, though a racing loser may replace the winner's key before anyone used it.
        os.replace(temp, path)


def _tighten(path: Path) -> None:
    # paramiko reads a key whatever its mode, but OpenSSH refuses one that group or others
    # can read ("UNPROTECTED PRIVATE KEY FILE"), and learners use this key with their own
    # ssh and fabfiles. Keys restored from backups or copied between machines often come
    # back 0644. Windows has ACLs, not mode bits (chmod only toggles read-only): skip it.
    if os.name != "nt" and path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _write_public_file(path: Path) -> None:
    line = (public_key(path) + "\n").encode("ascii")
    public = path.with_suffix(".pub")
    if public.exists() and public.read_bytes() == line:
        return
    # Every racer derives the same line from the same private key; replace is atomic.
    os.replace(_write_temp(path.parent, line, 0o644), public)
