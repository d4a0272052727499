"""An engine on another machine, reached over tcp:// (DOCKER_HOST=tcp://198.51.100.1:PORT),
plain and with TLS: the lab reaches the servers' ports, published on that machine's
127.0.0.1, through the engine's own API (a `docker exec` relay per connection).

"Another machine" is a network namespace of its own, joined to this one by a veth pair:
the lab runs there, its 127.0.0.1 is empty, and the only way to this machine is the pair's
other end, where the test relays TCP to this machine's engine socket. A published port is
then out of the lab's direct reach, and the test checks that a direct connection fails.
With TLS, the test's relay ends TLS with a certificate of a CA made for the test, and the
lab and the docker CLI verify it and present a client certificate (DOCKER_TLS_VERIFY=1).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.docker.far_engines import (
    prove_a_class_runs_on_it,
    prove_a_learner_reaches_the_servers,
)

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("lab_images")]

TOOLS = ("unshare", "nsenter", "ip", "docker")
HERE, THERE = "198.51.100.1", "198.51.100.2"  # TEST-NET-2: never a real network's


@dataclass(frozen=True)
class TcpEngine:
    url: str  # tcp://198.51.100.1:PORT
    namespace: str  # /proc/PID/ns/net of the lab's "machine"
    tls: dict[str, str] = field(default_factory=dict)  # DOCKER_TLS_VERIFY, DOCKER_CERT_PATH

    def lab(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`lab ARGS` with DOCKER_HOST=tcp://..., in the other network namespace."""
        return self.isolated(sys.executable, "-m", "lab", *args, env=env, timeout=timeout)

    def isolated(self, *command: str, env: dict[str, str] | None = None,
                 timeout: float = 900) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "COLUMNS": "200", "DOCKER_HOST": self.url, **self.tls,
                       **(env or {})}
        result = subprocess.run(["nsenter", f"--net={self.namespace}", *command],
                                capture_output=True, text=True, env=environment,
                                timeout=timeout)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result


def _engine_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    return host.removeprefix("unix://") if host.startswith("unix://") else "/var/run/docker.sock"


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _serve(listener: socket.socket, engine_socket: str, tls: ssl.SSLContext | None) -> None:
    """Every TCP connection to the listener, relayed to the engine's unix socket."""
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=_connect, args=(client, engine_socket, tls), daemon=True).start()


def _connect(client: socket.socket, engine_socket: str, tls: ssl.SSLContext | None) -> None:
    try:
        if tls is not None:
            client = tls.wrap_socket(client, server_side=True)
    except (OSError, ssl.SSLError):
        client.close()
        return
    engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    engine.connect(engine_socket)
    for source, target in ((client, engine), (engine, client)):
        threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _certificates(folder: Path) -> ssl.SSLContext:
    """A CA, the engine's certificate for 198.51.100.1 and a client's, as Docker wants them
    in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem); the engine side's TLS context."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
              signer: ec.EllipticCurvePrivateKey, ca: bool,
              extra: list[x509.ExtensionType]) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        for extension in extra:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(signer, hashes.SHA256())

    def write(path: Path, item: x509.Certificate | ec.EllipticCurvePrivateKey) -> None:
        if isinstance(item, x509.Certificate):
            path.write_bytes(item.public_bytes(serialization.Encoding.PEM))
        else:
            path.write_bytes(item.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))

    ca_key, engine_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in "abc")
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab test CA")])
    ca = issue("lab test CA", ca_key, ca_name, ca_key, True,
               [x509.KeyUsage(True, False, False, False, False, True, True, False, False)])
    engine = issue(HERE, engine_key, ca_name, ca_key, False, [
        x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HERE))]),
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])])
    client = issue("lab", client_key, ca_name, ca_key, False,
                   [x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])])
    for name, item in (("ca.pem", ca), ("cert.pem", client), ("key.pem", client_key),
                       ("engine-cert.pem", engine), ("engine-key.pem", engine_key)):
        write(folder / name, item)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "engine-cert.pem", folder / "engine-key.pem")
    context.load_verify_locations(folder / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED  # as dockerd --tlsverify: clients need a cert
    return context


def _ip(*args: str, namespace: str | None = None) -> None:
    prefix = ["nsenter", f"--net={namespace}"] if namespace else []
    subprocess.run([*prefix, "ip", *args], check=True, capture_output=True, text=True)


@pytest.fixture(scope="module", params=["plain", "tls"])
def tcp_engine(request: pytest.FixtureRequest) -> Iterator[TcpEngine]:
    """This machine's engine at tcp://198.51.100.1:PORT, seen from another namespace."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if os.geteuid() != 0 or missing or not Path(_engine_socket()).exists():
        pytest.skip(f"needs root, the engine's unix socket and {TOOLS}")
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    namespace = f"/proc/{holder.pid}/ns/net"
    host_end = f"labt{holder.pid % 100000}"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    certificates = Path(tempfile.mkdtemp(prefix="lab-tls-"))
    try:
        tls = _certificates(certificates) if request.param == "tls" else None
        deadline = time.monotonic() + 10
        while os.readlink(namespace) == os.readlink("/proc/self/ns/net"):
            assert time.monotonic() < deadline, "unshare made no network namespace"
            time.sleep(0.05)
        _ip("link", "add", host_end, "type", "veth", "peer", "name", "lab-there")
        _ip("link", "set", "lab-there", "netns", str(holder.pid))
        _ip("addr", "add", f"{HERE}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("addr", "add", f"{THERE}/30", "dev", "lab-there", namespace=namespace)
        _ip("link", "set", "lab-there", "up", namespace=namespace)
        _ip("link", "set", "lo", "up", namespace=namespace)
        listener.bind((HERE, 0))
        listener.listen(64)
        threading.Thread(target=_serve, args=(listener, _engine_socket(), tls),
                         daemon=True).start()
        yield TcpEngine(f"tcp://{HERE}:{listener.getsockname()[1]}", namespace,
                        {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certificates)}
                        if tls else {})
    finally:
        shutil.rmtree(certificates, ignore_errors=True)
        listener.close()
        holder.kill()  # the namespace goes, and the veth pair with it
        holder.wait(timeout=30)
        subprocess.run(["ip", "link", "delete", host_end], capture_output=True)


def test_the_engine_is_reached_over_tcp_and_its_loopback_is_not(tcp_engine: TcpEngine) -> None:
    listed = tcp_engine.isolated("docker", "ps", "--quiet", timeout=60)
    assert listed.returncode == 0, listed.stderr
    direct = tcp_engine.isolated(sys.executable, "-c", (
        "import socket\n"
        "with socket.socket() as s:\n"
        "    s.settimeout(5)\n"
        f"    print(s.connect_ex(('{HERE}', 22)) != 0)\n"), timeout=60)
    assert direct.stdout.split() == ["True"], direct.stderr


def test_start_check_and_run_reach_the_servers_through_the_engine(
        tcp_engine: TcpEngine, student: str) -> None:
    prove_a_learner_reaches_the_servers(tcp_engine, student, "lab.reach.exec_relay")


def test_class_start_places_a_student_on_the_tcp_engine(
        tcp_engine: TcpEngine, student: str, tmp_path: Path) -> None:
    prove_a_class_runs_on_it(tcp_engine, tcp_engine.url, student, tmp_path)


def test_tls_that_does_not_match_the_engine_is_one_line_about_tls(tcp_engine: TcpEngine,
                                                                 tmp_path: Path) -> None:
    """With TLS: certificates of another CA. Plain: TLS asked of an engine without it."""
    _certificates(tmp_path)  # a CA of its own: the engine's certificate is not of it
    said = tcp_engine.lab("images", "list", env={"DOCKER_TLS_VERIFY": "1",
                                                 "DOCKER_CERT_PATH": str(tmp_path)}, timeout=120)
    assert said.returncode == 2, said.stdout + said.stderr
    lines = said.stderr.strip().splitlines()
    assert len(lines) == 1 and "failed the TLS check" in lines[0], said.stderr
    assert "DOCKER_CERT_PATH" in lines[0]
