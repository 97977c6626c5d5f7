"""The local BigQuery: `bqemulator` run as a child process on free REST and gRPC ports."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

LOGGER = logging.getLogger(__name__)

REST_ENV = "BQ_EMULATOR_REST_ENDPOINT"
GRPC_ENV = "BQ_EMULATOR_GRPC_ENDPOINT"
HOST = "127.0.0.1"
EMULATOR_PROJECT = "local-emulator"
STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.25


class EmulatorError(RuntimeError):
    """The local BigQuery could not be started or did not answer."""


def free_port() -> int:
    """A TCP port of the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """True when nothing is bound to `port` on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def ensure_spatial_extension() -> None:
    """Install DuckDB's spatial extension from its PyPI wheel; the emulator needs it offline."""
    try:
        import duckdb_extensions

        duckdb_extensions.import_extension("spatial")
    except Exception as error:
        raise EmulatorError(
            "DuckDB's spatial extension is not available, and the local BigQuery cannot start "
            "without it. Install the pinned requirements (`make venv`): they include "
            f"duckdb-extensions and duckdb-extension-spatial. Cause: {error}"
        ) from error


def emulator_command() -> list[str]:
    """The `bqemulator` executable of this interpreter's environment."""
    beside = Path(sys.executable).with_name("bqemulator")
    found = str(beside) if beside.exists() else shutil.which("bqemulator")
    if not found:
        raise EmulatorError("bqemulator is not installed: run `make venv` (see requirements.txt)")
    return [found]


class LocalBigQuery:
    """Context manager: starts the emulator, waits until it answers, stops it on exit."""

    def __init__(
        self,
        data_dir: Path | None,
        log_path: Path,
        startup_timeout: float = 90.0,
        rest_port: int | None = None,
        grpc_port: int | None = None,
    ):
        self.data_dir = Path(data_dir) if data_dir else None
        self.log_path = Path(log_path)
        self.startup_timeout = startup_timeout
        self.rest_port = rest_port or free_port()
        self.grpc_port = grpc_port or free_port()
        self._process: subprocess.Popen | None = None

    @property
    def rest_endpoint(self) -> str:
        return f"http://{HOST}:{self.rest_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"{HOST}:{self.grpc_port}"

    def environ(self) -> dict[str, str]:
        """Environment variables that point `make_clients` (and notebook kernels) here."""
        return {REST_ENV: self.rest_endpoint, GRPC_ENV: self.grpc_endpoint}

    def _arguments(self) -> list[str]:
        arguments = [
            *emulator_command(),
            "start",
            f"--rest-port={self.rest_port}",
            f"--grpc-port={self.grpc_port}",
            f"--project={EMULATOR_PROJECT}",
            "--log-format=json",
            "--log-level=info",
        ]
        if self.data_dir:
            arguments += ["--persistent", f"--data-dir={self.data_dir}"]
        return arguments

    def _check_ports(self) -> None:
        for name, port in (("REST", self.rest_port), ("gRPC", self.grpc_port)):
            if not port_is_free(port):
                raise EmulatorError(
                    f"cannot start the local BigQuery: {name} port {port} is already in use "
                    "(another emulator still running? stop it or choose another port)"
                )

    def start(self) -> LocalBigQuery:
        """Start the child process and block until both endpoints answer."""
        ensure_spatial_extension()
        self._check_ports()
        if self.data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._arguments(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        atexit.register(self.stop)
        started = time.monotonic()
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        LOGGER.info(
            "local BigQuery ready in %.1f s: REST %s, gRPC %s, %s, log %s",
            time.monotonic() - started,
            self.rest_endpoint,
            self.grpc_endpoint,
            f"persistent in {self.data_dir}" if self.data_dir else "in memory",
            self.log_path,
        )
        return self

    def _answers(self) -> bool:
        url = f"{self.rest_endpoint}/bigquery/v2/projects/{EMULATOR_PROJECT}/datasets"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                rest_ok = response.status == 200
        except (urllib.error.URLError, OSError):
            return False
        with contextlib.suppress(OSError), socket.create_connection((HOST, self.grpc_port), 1):
            return rest_ok
        return False

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(
                    f"the local BigQuery exited at start (code {self._process.returncode}); "
                    f"last lines of {self.log_path}:\n{self.log_tail()}"
                )
            if self._answers():
                return
            time.sleep(POLL_SECONDS)
        raise EmulatorError(
            f"the local BigQuery did not answer within {self.startup_timeout:.0f} s; "
            f"last lines of {self.log_path}:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the emulator log, for error messages."""
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Terminate the child process (SIGTERM, then SIGKILL after a grace period)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        LOGGER.info("local BigQuery stopped")

    def __enter__(self) -> LocalBigQuery:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def emulator_endpoints_set() -> bool:
    """True when this process was pointed at a running emulator."""
    return bool(os.environ.get(REST_ENV) and os.environ.get(GRPC_ENV))


@contextlib.contextmanager
def exported_environment(values: dict[str, str]):
    """Set environment variables for the duration of a block, then restore them."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
