"""Client factory: the same BigQuery and Storage Read clients for production and local runs.

Only the endpoint and the credentials differ. Production uses Application Default
Credentials (or the service-account key file named by GOOGLE_APPLICATION_CREDENTIALS);
the local environment talks to the emulator whose endpoints `LocalBigQuery.environ()` sets.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import google.auth
import grpc
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.transport.requests import Request
from google.cloud import bigquery, bigquery_storage
from google.cloud.bigquery_storage_v1.services.big_query_read.transports import (
    BigQueryReadGrpcTransport,
)

from helpers.config import Settings
from helpers.emulator import GRPC_ENV, REST_ENV

LOGGER = logging.getLogger(__name__)

GRPC_OPTIONS = (("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1))
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
CREDENTIALS_HELP = (
    "Authenticate with `gcloud auth application-default login` (a person), or set "
    "GOOGLE_APPLICATION_CREDENTIALS to the path of a service-account key file, or run "
    "where the metadata server provides the service account (Composer, Cloud Run)."
)


class CredentialsError(RuntimeError):
    """Production credentials are missing or invalid."""


class EndpointError(RuntimeError):
    """The local BigQuery endpoints are not known (emulator not started)."""


@dataclass(frozen=True)
class BigQueryClients:
    bigquery: bigquery.Client
    read: bigquery_storage.BigQueryReadClient


def production_credentials(validate: bool = True) -> tuple[Credentials, str | None]:
    """Application Default Credentials, refreshed once so a bad key fails here, clearly."""
    key_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if key_file and not os.path.isfile(key_file):
        raise CredentialsError(
            f"GOOGLE_APPLICATION_CREDENTIALS names {key_file!r}, which is not a file. "
            + CREDENTIALS_HELP
        )
    try:
        credentials, project = google.auth.default(scopes=SCOPES)
    except auth_exceptions.DefaultCredentialsError as error:
        raise CredentialsError(
            f"no usable Google credentials ({error}). {CREDENTIALS_HELP}"
        ) from error
    if validate:
        try:
            credentials.refresh(Request())
        except (auth_exceptions.RefreshError, auth_exceptions.TransportError) as error:
            raise CredentialsError(
                f"Google credentials were found but could not be used ({error}). {CREDENTIALS_HELP}"
            ) from error
    return credentials, project


def emulator_endpoints() -> tuple[str, str]:
    """The REST and gRPC endpoints of the running local BigQuery, from the environment."""
    rest, grpc_target = os.environ.get(REST_ENV), os.environ.get(GRPC_ENV)
    if not rest or not grpc_target:
        raise EndpointError(
            f"the local BigQuery endpoints are not set ({REST_ENV}, {GRPC_ENV}): run the "
            "pipeline through `python main.py run`, which starts the emulator, or start it "
            "with helpers.emulator.LocalBigQuery"
        )
    return rest, grpc_target


def make_local_clients(settings: Settings) -> BigQueryClients:
    """Clients bound to the emulator, with anonymous credentials."""
    rest, grpc_target = emulator_endpoints()
    client = bigquery.Client(
        project=settings.project,
        location=settings.location,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=rest),
    )
    # The emulator serves the Storage Read API over plain gRPC on loopback. Arrow pages can
    # exceed gRPC's 4 MB default, as the production client allows too.
    channel = grpc.insecure_channel(grpc_target, options=GRPC_OPTIONS)
    transport = BigQueryReadGrpcTransport(channel=channel)
    LOGGER.info("BigQuery clients on the local emulator (REST %s, gRPC %s)", rest, grpc_target)
    return BigQueryClients(client, bigquery_storage.BigQueryReadClient(transport=transport))


def make_production_clients(settings: Settings, validate: bool = True) -> BigQueryClients:
    """Clients on Google Cloud with Application Default Credentials or a key file."""
    credentials, _ = production_credentials(validate=validate)
    client = bigquery.Client(
        project=settings.project, location=settings.location, credentials=credentials
    )
    read = bigquery_storage.BigQueryReadClient(credentials=credentials)
    LOGGER.info("BigQuery clients on Google Cloud, project %s", settings.project)
    return BigQueryClients(client, read)


def make_clients(settings: Settings, validate: bool = True) -> BigQueryClients:
    """The BigQuery and Storage Read clients for the environment of `settings`."""
    if settings.is_local:
        return make_local_clients(settings)
    return make_production_clients(settings, validate=validate)
