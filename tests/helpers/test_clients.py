"""Tests of the client factory: local (emulator) and production (credentials), all offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery, bigquery_storage
from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
    BigQueryReadGrpcTransport,
)
from google.oauth2 import service_account

from helpers.clients import (
    CredentialsError,
    EndpointError,
    make_clients,
    production_credentials,
)
from helpers.config import load_settings
from helpers.emulator import GRPC_ENV, REST_ENV

ROOT = Path(__file__).resolve().parents[2]
LOCAL = load_settings(ROOT / "params" / "local.yaml")
PROD = load_settings(ROOT / "params" / "prod.yaml")
SERVICE_ACCOUNT = "pipeline-runner@key-project.iam.gserviceaccount.com"


@pytest.fixture
def isolated_google_env(monkeypatch, tmp_path):
    """No credentials, project or gcloud configuration of this machine leak into a test."""
    gcloud = tmp_path / "gcloud"
    gcloud.mkdir()
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # never probe a metadata server
    for name in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_CLOUD_PROJECT",
        "GCLOUD_PROJECT",
        "CLOUDSDK_CORE_PROJECT",
        REST_ENV,
        GRPC_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@pytest.fixture
def key_file(isolated_google_env, private_key_pem, monkeypatch) -> Path:
    """A syntactically valid service-account key, named by GOOGLE_APPLICATION_CREDENTIALS."""
    path = isolated_google_env / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "key-project",
                "private_key_id": "0123456789abcdef",
                "private_key": private_key_pem,
                "client_email": SERVICE_ACCOUNT,
                "client_id": "100000000000000000001",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


# --- local ------------------------------------------------------------------------------


def test_make_clients_local_uses_emulator_endpoint(isolated_google_env, monkeypatch):
    # Arrange: endpoints are only recorded; nothing connects while building clients
    monkeypatch.setenv(REST_ENV, "http://127.0.0.1:9050")
    monkeypatch.setenv(GRPC_ENV, "127.0.0.1:9060")

    # Act
    clients = make_clients(LOCAL)

    # Assert
    assert isinstance(clients.bigquery, bigquery.Client)
    assert clients.bigquery.project == LOCAL.project
    assert clients.bigquery.location == "US"
    assert clients.bigquery._connection.build_api_url("/projects").startswith(
        "http://127.0.0.1:9050/bigquery/v2/projects"
    )
    assert isinstance(clients.bigquery._credentials, AnonymousCredentials)
    assert isinstance(clients.read, bigquery_storage.BigQueryReadClient)
    assert isinstance(clients.read.transport, BigQueryReadGrpcTransport)


@pytest.mark.emulator
def test_make_clients_local_talks_to_the_emulator(local_bigquery):
    clients = make_clients(LOCAL)

    datasets = list(clients.bigquery.list_datasets())  # answers: the endpoint is right

    assert isinstance(datasets, list)
    assert clients.bigquery._connection.build_api_url("/x").startswith(local_bigquery.rest_endpoint)


@pytest.mark.parametrize(
    "environ",
    [{}, {REST_ENV: "http://127.0.0.1:9050"}, {GRPC_ENV: "127.0.0.1:9060"}],
)
def test_make_clients_local_without_endpoints(isolated_google_env, monkeypatch, environ):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(EndpointError, match=f"endpoints are not set \\({REST_ENV}, {GRPC_ENV}\\)"):
        make_clients(LOCAL)


# --- production -------------------------------------------------------------------------


def test_make_clients_prod_key_file_missing(isolated_google_env, monkeypatch):
    missing = isolated_google_env / "nowhere" / "key.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))

    with pytest.raises(CredentialsError, match="which is not a file") as info:
        make_clients(PROD)

    assert "gcloud auth application-default login" in str(info.value)
    assert str(missing) in str(info.value)


@pytest.mark.parametrize("content", ["{not json", '{"type": "service_account"}', ""])
def test_make_clients_prod_invalid_key_file(isolated_google_env, monkeypatch, content):
    path = isolated_google_env / "bad-key.json"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))

    with pytest.raises(CredentialsError, match="no usable Google credentials") as info:
        make_clients(PROD, validate=False)

    assert "gcloud auth application-default login" in str(info.value)


def test_make_clients_prod_without_any_credentials(isolated_google_env):
    with pytest.raises(CredentialsError, match="no usable Google credentials") as info:
        make_clients(PROD, validate=False)

    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(info.value)


def test_make_clients_prod_service_account_key(key_file):
    # Act
    clients = make_clients(PROD, validate=False)

    # Assert: the project comes from params, not from the key
    assert clients.bigquery.project == "my-gcp-project"
    assert clients.bigquery.location == "US"
    credentials = clients.bigquery._credentials
    assert isinstance(credentials, service_account.Credentials)
    assert credentials.service_account_email == SERVICE_ACCOUNT
    assert clients.read.transport._credentials.service_account_email == SERVICE_ACCOUNT
    assert clients.bigquery._connection.build_api_url("/p").startswith(
        "https://bigquery.googleapis.com/"
    )


def test_production_credentials_returns_key_project(key_file):
    credentials, project = production_credentials(validate=False)

    assert project == "key-project"
    assert credentials.service_account_email == SERVICE_ACCOUNT
    assert "https://www.googleapis.com/auth/cloud-platform" in credentials.scopes


@pytest.mark.parametrize(
    "error",
    [
        auth_exceptions.RefreshError("invalid_grant: account not found"),
        auth_exceptions.TransportError("connection refused"),
    ],
)
def test_make_clients_prod_validate_refresh_fails(key_file, monkeypatch, error):
    # Arrange: the refresh would call the token endpoint; fail it offline instead
    calls = []

    def refresh(self, request):
        calls.append(request)
        raise error

    monkeypatch.setattr(service_account.Credentials, "refresh", refresh)

    # Act / Assert
    with pytest.raises(CredentialsError, match="found but could not be used") as info:
        make_clients(PROD, validate=True)

    assert str(error) in str(info.value)
    assert "gcloud auth application-default login" in str(info.value)
    assert len(calls) == 1


def test_make_clients_prod_validate_refresh_succeeds(key_file, monkeypatch):
    calls = []
    monkeypatch.setattr(
        service_account.Credentials, "refresh", lambda self, request: calls.append(request)
    )

    clients = make_clients(PROD, validate=True)

    assert len(calls) == 1
    assert clients.bigquery.project == "my-gcp-project"
