"""A real Milvus server for the tests and benchmarks: the PyPI package ``milvus`` (embedded Milvus
standalone 2.3.5, with its own etcd and local storage), started on 127.0.0.1 from a virtual
environment of its own (``make test`` builds ``.venv-milvus-server``), so its pins never meet ours.

The server runs in a process group of its own, so a test can kill it the way a power cut would
(SIGKILL to the launcher and the Milvus binary at once) and start it again on the same folder and
port, as an operator restarting a crashed server would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_PYTHON = ROOT / ".venv-milvus-server" / "bin" / "python"
ETCD_PORT = 2379  # the embedded etcd listens here whatever the config says

# Run by the server venv's python: the package's own ``milvus-server`` command only waits for a
# flag, so it neither notices the binary dying nor passes SIGTERM on; this launcher does both. A
# restart must reuse every internal port of the first start: etcd still holds the old components'
# sessions, and a component moved to a new port is not found until they expire (minutes). The
# package probes ports without SO_REUSEADDR, so a port left in TIME_WAIT by a killed server would
# look taken; the Go server binds with it.
_LAUNCHER = """
import json, signal, socket, sys
from pathlib import Path
import milvus
from milvus import MilvusServer

def try_bind_port(self, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except OSError:
        sock.close()
        return None

milvus.MilvusServerConfig.try_bind_port = try_bind_port
folder = Path(sys.argv[1])
kept = folder / "ports.json"
ports = json.loads(kept.read_text()) if kept.exists() else {}
server = MilvusServer(wait_for_started=False)
server.set_base_dir(str(folder))
server.listen_port = int(sys.argv[2])
server.webservice_port = ports.pop("webservice", server.webservice_port)
for key, port in ports.items():
    server.config.set(key, port)
for setting in sys.argv[3:]:
    key, _, value = setting.partition("=")
    server.config.set(key, int(value) if value.isdigit() else value)
server.start()
items = server.config.configurable_items
used = {k: v[1] for k, v in items.items() if k.endswith("_port")}
kept.write_text(json.dumps({**used, "webservice": server.webservice_port}))
proc = server.server_proc
signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
signal.signal(signal.SIGINT, lambda *_: proc.terminate())
print(json.dumps({"pid": proc.pid, "health_port": server.webservice_port}), flush=True)
sys.exit(proc.wait())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MilvusServer:
    """``with MilvusServer(folder) as server: server.uri`` -> ``http://127.0.0.1:P``."""

    def __init__(
        self,
        folder: Path,
        *,
        port: int | None = None,
        startup_s: float = 240,
        settings: dict[str, int] | None = None,
    ) -> None:
        """``settings``: lines of the server's ``milvus.yaml`` to change (``{"proxy.timeTickInterval": 20}``)."""
        self.folder = Path(folder)
        self.settings = settings or {}
        self.port = port or free_port()
        self.startup_s = startup_s
        self.process: subprocess.Popen | None = None
        self.health_port: int | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def available() -> str | None:
        """None when the server can be started here, else why not (a skip reason)."""
        if not SERVER_PYTHON.exists():
            return (
                f"no Milvus server environment at {SERVER_PYTHON.parent.parent} "
                "(`make test` builds it: python3 -m venv .venv-milvus-server && "
                ".venv-milvus-server/bin/pip install milvus==2.3.5)"
            )
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if sock.connect_ex(("127.0.0.1", ETCD_PORT)) == 0:
                return (
                    f"another embedded Milvus (or etcd) holds port {ETCD_PORT} on this machine: "
                    "embedded Milvus 2.3 always puts its etcd there, so only one runs at a time"
                )
        return None

    def start(self) -> MilvusServer:
        """Start (or restart, on the same folder and port) and return once it answers a client."""
        if reason := self.available():
            raise RuntimeError(reason)
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "launcher.log", "ab")  # noqa: SIM115 - the child keeps it open
        self.process = subprocess.Popen(
            [
                str(SERVER_PYTHON),
                "-c",
                _LAUNCHER,
                str(self.folder),
                str(self.port),
                *(f"{k}={v}" for k, v in self.settings.items()),
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        log.close()
        line = self.process.stdout.readline()  # blocks until the binary is spawned, or the launcher dies
        if not line:
            raise RuntimeError(f"the Milvus launcher exited: {self._log_tail()}")
        self.health_port = int(json.loads(line)["health_port"])
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Milvus server exited: {self._log_tail()}")
            if self._healthy() and self._answers():
                return self
            # Polling for readiness: the server announces nothing we could wait on otherwise.
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"the Milvus server did not start in {self.startup_s:.0f} s: {self._log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/healthz", timeout=2) as resp:
                return b"OK" in resp.read()
        except (OSError, urllib.error.URLError):
            return False

    def _answers(self) -> bool:
        """Healthy is not yet serving: the proxy takes a moment more before a client's first call."""
        from pymilvus import MilvusClient

        try:
            client = MilvusClient(uri=self.uri, timeout=5, dedicated=True)
            try:
                client.list_collections()
            finally:
                client.close()
            return True
        except Exception:
            return False

    def _log_tail(self) -> str:
        logs = [self.folder / "launcher.log", self.folder / "logs" / "milvus-stderr.log"]
        return " | ".join(p.read_text(errors="replace")[-1500:] for p in logs if p.exists())

    def kill(self) -> None:
        """SIGKILL the launcher and the Milvus binary together: no flush, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._wait_port_free()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._wait_port_free()

    def _wait_port_free(self, timeout: float = 30) -> None:
        """The binary may outlive the launcher by a moment; a restart needs the port back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go servers bind
                try:
                    sock.bind(("127.0.0.1", self.port))
                    return
                except OSError:
                    time.sleep(0.1)

    def __enter__(self) -> MilvusServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
