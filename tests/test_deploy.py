"""Deployment as code: the Cloud Build pipeline and the Terraform configuration.

Neither runs here (no Google Cloud). The tests check what can go wrong before a first
deployment: steps and their order, Cloud Build substitutions that would swallow a bash
variable, Terraform formatting and syntax (`terraform fmt`; `terraform validate` needs
the Google provider, which cannot be downloaded here), and the least-privilege roles.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CLOUDBUILD = ROOT / "cloudbuild.yaml"
TERRAFORM = ROOT / "deploy" / "terraform"
BUILT_IN_SUBSTITUTIONS = {"PROJECT_ID", "SHORT_SHA", "COMMIT_SHA", "BUILD_ID", "LOCATION"}
PIPELINE_PROJECT_ROLES = {
    "roles/composer.worker",
    "roles/bigquery.jobUser",
    "roles/bigquery.readSessionUser",
}
BROAD_ROLES = ("roles/owner", "roles/editor", "roles/bigquery.admin", "roles/storage.admin")


@pytest.fixture(scope="module")
def cloudbuild() -> dict:
    return yaml.safe_load(CLOUDBUILD.read_text(encoding="utf-8"))


def step(cloudbuild: dict, step_id: str) -> dict:
    (found,) = [s for s in cloudbuild["steps"] if s["id"] == step_id]
    return found


def terraform_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TERRAFORM.glob("*.tf")))


def test_cloudbuild_tests_then_builds_pushes_publishes_and_deploys(cloudbuild):
    ids = [s["id"] for s in cloudbuild["steps"]]
    assert ids == ["test", "build-image", "push-image", "publish-wheel", "deploy-composer"]
    assert step(cloudbuild, "build-image")["waitFor"] == ["test"]
    assert step(cloudbuild, "publish-wheel")["waitFor"] == ["test"]
    assert set(step(cloudbuild, "deploy-composer")["waitFor"]) == {"publish-wheel", "push-image"}


def test_cloudbuild_test_step_runs_the_same_checks_as_make_test(cloudbuild):
    script = step(cloudbuild, "test")["args"][-1]
    for command in ("scripts/install_airflow.sh", "ruff check", "ruff format --check", "pytest"):
        assert command in script


def test_cloudbuild_pushes_to_artifact_registry(cloudbuild):
    tags = [a for a in step(cloudbuild, "build-image")["args"] if a.startswith("--tag=")]
    assert tags and all(".pkg.dev/$PROJECT_ID/" in tag for tag in tags)
    assert "--all-tags" in step(cloudbuild, "push-image")["args"]


def test_cloudbuild_syncs_dag_notebooks_and_params_to_composer_bucket(cloudbuild):
    script = step(cloudbuild, "deploy-composer")["args"][-1]
    assert 'gcloud storage rsync notebooks "$$root/notebooks"' in script
    assert 'gcloud storage rsync params "$$root/params"' in script
    assert 'gcloud storage cp dags/dag.py "$$dags/' in script
    # The DAG goes last: a new DAG must never run against old notebooks.
    assert script.rstrip().splitlines()[-1].strip().startswith("gcloud storage cp dags/dag.py")


def test_cloudbuild_substitutions_are_all_defined(cloudbuild):
    # `$name` in a step is a Cloud Build substitution; bash variables must be `$$name`.
    defined = set(cloudbuild["substitutions"]) | BUILT_IN_SUBSTITUTIONS
    text = yaml.safe_dump(cloudbuild["steps"])
    used = set(re.findall(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")))
    assert used <= defined, f"undefined substitutions (escape bash variables): {used - defined}"


def test_terraform_is_formatted_and_parses():
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    completed = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_terraform_grants_the_pipeline_least_privilege():
    text = terraform_text()
    block = re.search(r'"google_project_iam_member" "pipeline" \{(.*?)\n\}', text, re.S)
    assert set(re.findall(r'"(roles/[^"]+)"', block[1])) == PIPELINE_PROJECT_ROLES
    dataset_grant = re.search(
        r'"google_bigquery_dataset_iam_member" "pipeline" \{(.*?)\n\}', text, re.S
    )
    assert re.search(r'role\s+= "roles/bigquery.dataEditor"', dataset_grant[1])
    for role in BROAD_ROLES:
        assert f'"{role}"' not in text, role


def test_terraform_declares_the_three_datasets_in_the_us():
    text = terraform_text()
    for dataset in ("pypi_staging", "pypi_mart", "pypi_ops"):
        assert re.search(rf"^\s+{dataset}\s+=", text, re.M), dataset
    assert re.search(r'variable "bigquery_location" \{[^}]*default\s+= "US"', text, re.S)


def test_terraform_alerts_on_failed_runs_failed_tasks_and_stale_data():
    text = terraform_text()
    assert "composer.googleapis.com/workflow/run_count" in text
    assert "composer.googleapis.com/workflow/task/run_count" in text
    assert "condition_absent" in text and "checks passed for" in text
