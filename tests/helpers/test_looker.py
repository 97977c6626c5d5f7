"""The Looker Studio Linking API URL, parsed back with urllib."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

from helpers.config import load_settings
from helpers.looker import linking_api_url

PROD_PARAMS = Path(__file__).resolve().parents[2] / "params" / "prod.yaml"


def _parameters(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)


def test_url_targets_the_linking_api():
    url = linking_api_url(load_settings(PROD_PARAMS))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "lookerstudio.google.com",
        "/reporting/create",
    )
    assert parts.fragment == ""


def test_each_mart_table_is_a_bigquery_data_source():
    settings = load_settings(PROD_PARAMS)
    parameters = _parameters(linking_api_url(settings))
    assert parameters["r.reportName"] == ["PyPI downloads"]
    tables = {}
    for alias in ("ds0", "ds1", "ds2"):
        assert parameters[f"ds.{alias}.connector"] == ["bigQuery"]
        assert parameters[f"ds.{alias}.type"] == ["TABLE"]
        assert parameters[f"ds.{alias}.projectId"] == [settings.project] == ["my-gcp-project"]
        assert parameters[f"ds.{alias}.billingProjectId"] == [settings.project]
        assert parameters[f"ds.{alias}.datasetId"] == [settings.mart_dataset] == ["pypi_mart"]
        (tables[alias],) = parameters[f"ds.{alias}.tableId"]
    assert tables == {
        "ds0": "fact_hourly_downloads",
        "ds1": "weekday_weights",
        "ds2": "hourly_profile",
    }
    assert all(len(values) == 1 for values in parameters.values())


def test_template_report_id_is_optional():
    settings = load_settings(PROD_PARAMS)
    assert "c.reportId" not in _parameters(linking_api_url(settings))
    with_template = _parameters(linking_api_url(settings, "0b6d1c9e-1234-4c1d-9f00-5e0a5b1c2d3e"))
    assert with_template["c.reportId"] == ["0b6d1c9e-1234-4c1d-9f00-5e0a5b1c2d3e"]
    # The template comes first, then the report name and the data sources in alias order.
    keys = [key for key, _ in parse_qsl(urlsplit(linking_api_url(settings, "x")).query)]
    assert keys[:3] == ["c.reportId", "r.reportName", "ds.ds0.connector"]


def test_values_are_percent_encoded():
    url = linking_api_url(load_settings(PROD_PARAMS), "id with/slash&amp")
    assert " " not in url and "&amp" not in url
    assert _parameters(url)["c.reportId"] == ["id with/slash&amp"]
    assert _parameters(url)["ds.ds0.datasourceName"] == ["PyPI hourly downloads"]


def test_spaces_are_percent_encoded_not_plus():
    url = linking_api_url(load_settings(PROD_PARAMS))
    assert "r.reportName=PyPI%20downloads" in url and "+" not in url
