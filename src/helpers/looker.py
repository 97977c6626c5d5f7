"""Looker Studio Linking API: the URL that creates the production report on the mart tables.

Opening the URL while signed in to Google creates a report whose three BigQuery data
sources are the mart tables (see docs/looker_studio.md); with a template report id, the
template's charts are copied and bound to these tables, data sources matched by alias.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from helpers.config import Settings
from helpers.export import FACTS_TABLE, PROFILE_TABLE, WEEKDAY_TABLE

LINKING_API = "https://lookerstudio.google.com/reporting/create"
REPORT_NAME = "PyPI downloads"
# Alias, mart table and data source name, in the order the template's data sources were added.
DATA_SOURCES = (
    ("ds0", FACTS_TABLE, "PyPI hourly downloads"),
    ("ds1", WEEKDAY_TABLE, "PyPI weekday weights"),
    ("ds2", PROFILE_TABLE, "PyPI hourly profile"),
)


def data_source_parameters(
    alias: str, project: str, dataset: str, table: str, name: str
) -> list[tuple[str, str]]:
    """Linking API parameters of one BigQuery table data source, billed to its project."""
    prefix = f"ds.{alias}"
    return [
        (f"{prefix}.connector", "bigQuery"),
        (f"{prefix}.type", "TABLE"),
        (f"{prefix}.projectId", project),
        (f"{prefix}.datasetId", dataset),
        (f"{prefix}.tableId", table),
        (f"{prefix}.billingProjectId", project),
        (f"{prefix}.datasourceName", name),
    ]


def linking_api_url(settings: Settings, template_report_id: str | None = None) -> str:
    """The Linking API URL creating the report on `settings.project`'s mart dataset."""
    parameters: list[tuple[str, str]] = []
    if template_report_id:
        parameters.append(("c.reportId", template_report_id))
    parameters.append(("r.reportName", REPORT_NAME))
    for alias, table, name in DATA_SOURCES:
        parameters += data_source_parameters(
            alias, settings.project, settings.mart_dataset, table, name
        )
    return f"{LINKING_API}?{urlencode(parameters, quote_via=quote)}"
