"""Tests of the local BigQuery lifecycle: separate emulators, never the session one."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import duckdb_extensions
import pytest

from helpers import emulator as emulator_module
from helpers.clients import make_local_clients
from helpers.config import load_settings
from helpers.emulator import (
    GRPC_ENV,
    HOST,
    REST_ENV,
    EmulatorError,
    LocalBigQuery,
    emulator_endpoints_set,
    exported_environment,
    free_port,
    port_is_free,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings(ROOT / "params" / "local.yaml")


def nothing_listens(port: int) -> bool:
    """No server accepts on `port`, and a server could bind it again.

    A server binds with SO_REUSEADDR, so the TIME_WAIT connections a stopped server leaves
    behind do not keep its port from being reused.
    """
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except ConnectionRefusedError:
        pass
    else:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def dataset_ids(emulator: LocalBigQuery) -> set[str]:
    with exported_environment(emulator.environ()):
        clients = make_local_clients(SETTINGS)
    return {dataset.dataset_id for dataset in clients.bigquery.list_datasets()}


def fake_emulator(monkeypatch, code: str) -> None:
    """Replace the bqemulator executable by a short Python program."""
    monkeypatch.setattr(emulator_module, "emulator_command", lambda: [sys.executable, "-c", code])


# --- real emulators ---------------------------------------------------------------------


@pytest.mark.emulator
def test_local_bigquery_start_answer_stop(tmp_path):
    # Arrange
    local = LocalBigQuery(None, tmp_path / "logs" / "emulator.log", startup_timeout=120)

    # Act
    with local as running:
        process = running._process
        answered = running._answers()
        datasets = dataset_ids(running)
        was_running = running.running

    # Assert
    assert answered is True
    assert was_running is True
    assert datasets == set()  # in memory: a new emulator is empty
    assert process.poll() is not None  # the child process is gone
    assert local.running is False
    assert nothing_listens(local.rest_port)
    assert nothing_listens(local.grpc_port)
    assert (tmp_path / "logs" / "emulator.log").exists()


@pytest.mark.emulator
def test_local_bigquery_persistent_keeps_datasets(tmp_path):
    # Arrange
    data_dir = tmp_path / "db"
    log = tmp_path / "emulator.log"

    # Act: create a dataset, stop, start again on the same folder
    with LocalBigQuery(data_dir, log, startup_timeout=120) as first:
        with exported_environment(first.environ()):
            clients = make_local_clients(SETTINGS)
        clients.bigquery.create_dataset(f"{SETTINGS.project}.kept_across_restarts")
    with LocalBigQuery(data_dir, log, startup_timeout=120) as second:
        datasets = dataset_ids(second)

    # Assert
    assert "kept_across_restarts" in datasets
    assert any(data_dir.iterdir())


# --- failures before or during start ----------------------------------------------------


@pytest.mark.parametrize("which", ["rest_port", "grpc_port"])
def test_local_bigquery_busy_port(tmp_path, which):
    # Arrange: hold a port ourselves
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind((HOST, 0))
        holder.listen()
        port = holder.getsockname()[1]
        local = LocalBigQuery(None, tmp_path / "emulator.log", **{which: port})
        started = time.monotonic()

        # Act / Assert
        with pytest.raises(EmulatorError, match=f"port {port} is already in use"):
            local.start()

    assert time.monotonic() - started < 5
    assert local.running is False
    assert not (tmp_path / "emulator.log").exists()  # nothing was started


def test_local_bigquery_spatial_extension_missing(tmp_path, monkeypatch):
    def missing(name):
        raise ModuleNotFoundError(f"No module named 'duckdb_extension_{name}'")

    monkeypatch.setattr(duckdb_extensions, "import_extension", missing)
    local = LocalBigQuery(None, tmp_path / "emulator.log")

    with pytest.raises(EmulatorError, match="spatial extension") as info:
        local.start()

    message = str(info.value)
    assert "make venv" in message
    assert "duckdb-extension-spatial" in message
    assert "duckdb_extension_spatial" in message  # the cause
    assert local.running is False


def test_local_bigquery_startup_timeout_reports_log_tail(tmp_path, monkeypatch):
    # Arrange: a child that writes a line and never answers
    fake_emulator(
        monkeypatch, "import time; print('warming up the catalog', flush=True); time.sleep(60)"
    )
    local = LocalBigQuery(None, tmp_path / "emulator.log", startup_timeout=2)
    started = time.monotonic()

    # Act
    with pytest.raises(EmulatorError, match=r"did not answer within 2 s") as info:
        local.start()

    # Assert
    assert "warming up the catalog" in str(info.value)
    assert str(tmp_path / "emulator.log") in str(info.value)
    assert local.running is False  # the child was stopped
    assert time.monotonic() - started < 15


def test_local_bigquery_answers_false_times_out(tmp_path, monkeypatch):
    fake_emulator(monkeypatch, "import time; time.sleep(60)")
    monkeypatch.setattr(LocalBigQuery, "_answers", lambda self: False)
    log = tmp_path / "emulator.log"
    log.write_text("an earlier line\n", encoding="utf-8")
    local = LocalBigQuery(None, log, startup_timeout=0.5)

    with pytest.raises(EmulatorError, match="did not answer") as info:
        local.start()

    assert "an earlier line" in str(info.value)
    assert local.running is False


def test_local_bigquery_exits_at_start(tmp_path, monkeypatch):
    fake_emulator(monkeypatch, "import sys; print('fatal: cannot open catalog'); sys.exit(3)")
    local = LocalBigQuery(None, tmp_path / "emulator.log", startup_timeout=30)

    with pytest.raises(EmulatorError, match=r"exited at start \(code 3\)") as info:
        local.start()

    assert "fatal: cannot open catalog" in str(info.value)


def test_local_bigquery_arguments(tmp_path, monkeypatch):
    fake_emulator(monkeypatch, "")
    local = LocalBigQuery(tmp_path / "db", tmp_path / "log", rest_port=9050, grpc_port=9060)

    arguments = local._arguments()

    assert "--rest-port=9050" in arguments
    assert "--grpc-port=9060" in arguments
    assert "--persistent" in arguments
    assert f"--data-dir={tmp_path / 'db'}" in arguments
    assert "--persistent" not in LocalBigQuery(None, tmp_path / "log")._arguments()
    assert local.environ() == {REST_ENV: "http://127.0.0.1:9050", GRPC_ENV: "127.0.0.1:9060"}


def test_log_tail_without_log(tmp_path):
    assert LocalBigQuery(None, tmp_path / "missing.log").log_tail() == "(no log)"


def test_log_tail_last_lines(tmp_path):
    log = tmp_path / "emulator.log"
    log.write_text("".join(f"line {i}\n" for i in range(40)), encoding="utf-8")

    tail = LocalBigQuery(None, log).log_tail(lines=3)

    assert tail == "line 37\nline 38\nline 39"


def test_stop_without_start_is_harmless(tmp_path):
    local = LocalBigQuery(None, tmp_path / "emulator.log")

    local.stop()

    assert local.running is False


# --- ports and environment --------------------------------------------------------------


def test_free_port_is_free():
    port = free_port()

    assert 0 < port < 65536
    assert port_is_free(port)


def test_port_is_free_false_when_bound():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        assert port_is_free(sock.getsockname()[1]) is False


def test_exported_environment_restores(monkeypatch):
    # Arrange
    monkeypatch.setenv(REST_ENV, "http://before:1")
    monkeypatch.delenv(GRPC_ENV, raising=False)

    # Act
    with exported_environment({REST_ENV: "http://inside:2", GRPC_ENV: "inside:3"}):
        inside = (os.environ[REST_ENV], os.environ[GRPC_ENV], emulator_endpoints_set())

    # Assert
    assert inside == ("http://inside:2", "inside:3", True)
    assert os.environ[REST_ENV] == "http://before:1"
    assert GRPC_ENV not in os.environ
    assert emulator_endpoints_set() is False


def test_exported_environment_restores_after_error(monkeypatch):
    monkeypatch.setenv("PIPELINE_TEST_VARIABLE", "kept")

    def fail_inside():
        with exported_environment({"PIPELINE_TEST_VARIABLE": "changed"}):
            assert os.environ["PIPELINE_TEST_VARIABLE"] == "changed"
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()

    assert os.environ["PIPELINE_TEST_VARIABLE"] == "kept"
