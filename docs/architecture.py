"""Architecture of the PyPI downloads pipeline on Google Cloud, drawn with `diagrams`.

Rendered by hand, not by the tests (it needs Graphviz and the `diagrams` package):

    sudo apt-get install -y graphviz     # Debian's Graphviz (dot)
    pip install diagrams==0.25.1         # in a virtual environment of your choice
    python docs/architecture.py          # writes docs/architecture.png
"""

from __future__ import annotations

from pathlib import Path

from diagrams import Cluster, Diagram, Edge
from diagrams.gcp.analytics import Bigquery, Composer, Looker, Pubsub
from diagrams.gcp.devtools import Build, ContainerRegistry
from diagrams.gcp.operations import Logging, Monitoring
from diagrams.gcp.security import Iam, SecretManager
from diagrams.gcp.storage import Storage
from diagrams.oci.monitoring import Email
from diagrams.onprem.client import Users
from diagrams.onprem.vcs import Git
from diagrams.programming.language import Python
from diagrams.saas.chat import Teams

OUTPUT = Path(__file__).with_suffix("")
GRAPH = {
    "fontsize": "22",
    "fontname": "DejaVu Sans",
    "pad": "0.4",
    "nodesep": "0.5",
    "ranksep": "1.1",
    "splines": "spline",
}
NODE = {"fontsize": "13", "fontname": "DejaVu Sans"}
CLUSTER = {"fontsize": "15", "fontname": "DejaVu Sans Bold", "margin": "18"}
DATA = {"color": "#1a73e8", "penwidth": "2"}
CONTROL = {"color": "#5f6368", "style": "dashed"}
ALERT = {"color": "#d93025", "style": "dashed"}
DEPLOY = {"color": "#188038", "style": "dotted", "penwidth": "2"}


def pipeline_nodes() -> dict:
    """Source, orchestration, BigQuery, files and consumers."""
    nodes = {}
    with Cluster("bigquery-public-data.pypi (US)", graph_attr=CLUSTER):
        nodes["downloads"] = Bigquery("file_downloads\n(partitioned by day,\nclustered by project)")
        nodes["metadata"] = Bigquery("distribution_metadata")
    with Cluster("Cloud Composer 3 — DAG pypi_downloads, daily, catch-up", graph_attr=CLUSTER):
        nodes["dag"] = Composer("DAG: sensor (day\ncomplete?), retries,\ntimeouts, callbacks")
        with Cluster("Papermill notebooks ({{ ds }})", graph_attr=CLUSTER):
            nodes["extract"] = Python("01_extract\n(only SQL: hourly\naggregate)")
            nodes["transform"] = Python("02_transform\n(pyarrow)")
            nodes["export"] = Python("03_export")
            nodes["charts"] = Python("04_charts")
        nodes["check"] = Python("main.py check\n(data quality)")
    with Cluster("BigQuery — project datasets (US)", graph_attr=CLUSTER):
        nodes["staging"] = Bigquery("pypi_staging\nhourly_downloads")
        nodes["mart"] = Bigquery(
            "pypi_mart\nfact_hourly_downloads\nweekday_weights\nhourly_profile"
        )
        nodes["required"] = Bigquery(
            "pypi_mart (required)\nlast_download_per_\ncountry_project_day\ndownload_intervals"
        )
        nodes["ledger"] = Bigquery("pypi_ops\nrun_ledger")
    with Cluster("Cloud Storage (data/ locally)", graph_attr=CLUSTER):
        nodes["files"] = Storage("daily Parquet files\npypi/daily/")
        nodes["reports"] = Storage("HTML reports\npypi/reports/")
    with Cluster("Consumers", graph_attr=CLUSTER):
        nodes["looker"] = Looker("Looker Studio\ndashboard")
        nodes["pipelines"] = Users("other pipelines,\nIT services")
        nodes["readers"] = Users("business readers\n(report by mail/link)")
    return nodes


def platform_nodes() -> dict:
    """Operations, identity and the deployment path."""
    nodes = {}
    with Cluster("Operations", graph_attr=CLUSTER):
        nodes["logging"] = Logging("Cloud Logging\n(task logs, job bytes)")
        nodes["monitoring"] = Monitoring("Cloud Monitoring\nfailed runs/tasks,\nstale data")
        nodes["topic"] = Pubsub("Pub/Sub\nalerts topic")
        nodes["mail"] = Email("mail (SMTP)")
        nodes["chat"] = Teams("chat webhook\n(Chat / Teams / Slack)")
    with Cluster("Identity", graph_attr=CLUSTER):
        nodes["account"] = Iam("service account\npypi-pipeline (ADC,\nno key)")
        nodes["secrets"] = SecretManager("Secret Manager\nconnections, Variables")
    with Cluster("Deployment", graph_attr=CLUSTER):
        nodes["repo"] = Git("repository\nmain branch")
        nodes["build"] = Build("Cloud Build\ntests, image, wheel")
        nodes["registry"] = ContainerRegistry("Artifact Registry\nimage + wheel")
        nodes["bucket"] = Storage("Composer bucket\ndags/ + data/")
    return nodes


def connect_data(n: dict) -> None:
    n["downloads"] >> Edge(label="partition-filtered\nscan", **DATA) >> n["extract"]
    n["metadata"] >> Edge(**DATA) >> n["extract"]
    n["extract"] >> Edge(**DATA) >> n["staging"]
    n["staging"] >> Edge(label="Storage Read\n(Arrow)", **DATA) >> n["transform"]
    n["transform"] >> Edge(**DATA) >> n["export"]
    n["export"] >> Edge(**DATA) >> [n["mart"], n["required"], n["files"]]
    n["export"] >> Edge(**CONTROL) >> n["check"] >> Edge(**CONTROL) >> n["charts"]
    n["charts"] >> Edge(**DATA) >> n["reports"]
    n["dag"] >> Edge(**CONTROL) >> n["extract"]
    n["downloads"] >> Edge(label="freshness", **CONTROL) >> n["dag"]
    [n["extract"], n["export"], n["check"]] >> Edge(**CONTROL) >> n["ledger"]
    n["mart"] >> Edge(**DATA) >> n["looker"]
    n["required"] >> Edge(**DATA) >> n["pipelines"]
    n["files"] >> Edge(**DATA) >> n["pipelines"]
    n["reports"] >> Edge(**DATA) >> n["readers"]


def connect_platform(n: dict) -> None:
    n["dag"] >> Edge(**ALERT) >> n["logging"] >> Edge(**ALERT) >> n["monitoring"]
    n["dag"] >> Edge(label="on_failure /\nlate run", **ALERT) >> n["mail"]
    n["dag"] >> Edge(**ALERT) >> [n["chat"], n["topic"]]
    n["monitoring"] >> Edge(**ALERT) >> [n["mail"], n["topic"]]
    n["topic"] >> Edge(**ALERT) >> n["chat"]
    n["account"] >> Edge(**CONTROL) >> n["dag"]
    n["secrets"] >> Edge(**CONTROL) >> n["dag"]
    n["repo"] >> Edge(**DEPLOY) >> n["build"] >> Edge(**DEPLOY) >> [n["registry"], n["bucket"]]
    n["registry"] >> Edge(label="wheel", **DEPLOY) >> n["dag"]
    n["bucket"] >> Edge(label="DAG, notebooks,\nparams", **DEPLOY) >> n["dag"]


def draw() -> None:
    with Diagram(
        "PyPI downloads monitoring on Google Cloud",
        filename=str(OUTPUT),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
        node_attr=NODE,
    ):
        nodes = pipeline_nodes() | platform_nodes()
        connect_data(nodes)
        connect_platform(nodes)


if __name__ == "__main__":
    draw()
