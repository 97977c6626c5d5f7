# Everything the daily pipeline needs in one project: APIs, the runtime service account
# and its least-privilege roles, the three datasets, the buckets, the Artifact Registry
# repositories, the alert topic and the Composer 3 environment.

locals {
  datasets = {
    pypi_staging = "Hourly aggregate of file_downloads, one partition per day (acquisition query)."
    pypi_mart    = "Tables read by Looker Studio and the HTML report, and the two required objects."
    pypi_ops     = "Run ledger: one row per run and stage (rows, bytes, duration, status)."
  }
  labels = { app = "pypi-downloads", managed-by = "terraform" }
}

data "google_project" "this" {}

resource "google_project_service" "apis" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "cloudbuild.googleapis.com",
    "composer.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "secretmanager.googleapis.com",
  ])
  service            = each.value
  disable_on_destroy = false
}

# --- Identity: the pipeline runs as this account in Composer (no key is ever created:
# the workers get its tokens from the metadata server). ---
resource "google_service_account" "pipeline" {
  account_id   = "pypi-pipeline"
  display_name = "PyPI downloads pipeline (Composer workers)"
}

resource "google_project_iam_member" "pipeline" {
  for_each = toset([
    "roles/composer.worker",          # required of a Composer environment's account
    "roles/bigquery.jobUser",         # run query and load jobs billed to this project
    "roles/bigquery.readSessionUser", # Storage Read API sessions (Arrow downloads)
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.pipeline.member
}

# Writes only in its own datasets; the public dataset is readable by everyone.
resource "google_bigquery_dataset_iam_member" "pipeline" {
  for_each   = google_bigquery_dataset.pipeline
  dataset_id = each.value.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.pipeline.member
}

resource "google_storage_bucket_iam_member" "pipeline_data" {
  bucket = google_storage_bucket.data.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.pipeline.member
}

resource "google_storage_bucket_iam_member" "pipeline_composer" {
  bucket = google_storage_bucket.composer.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.pipeline.member
}

resource "google_artifact_registry_repository_iam_member" "pipeline_wheels" {
  location   = google_artifact_registry_repository.python.location
  repository = google_artifact_registry_repository.python.name
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.pipeline.member
}

resource "google_pubsub_topic_iam_member" "pipeline_alerts" {
  topic  = google_pubsub_topic.alerts.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.pipeline.member
}

# --- BigQuery: one dataset per layer, in the location of the public dataset. ---
resource "google_bigquery_dataset" "pipeline" {
  for_each    = local.datasets
  dataset_id  = each.key
  location    = var.bigquery_location
  description = each.value
  labels      = local.labels

  # Staging partitions are rebuilt from the source at will: 60 days are enough.
  default_partition_expiration_ms = each.key == "pypi_staging" ? 60 * 24 * 3600 * 1000 : null

  depends_on = [google_project_service.apis]
}

# --- Cloud Storage: the daily files and reports for other pipelines and readers. ---
resource "google_storage_bucket" "data" {
  name                        = "${var.project_id}-pypi-data"
  location                    = var.bigquery_location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  # A re-run replaces a day's objects; the previous version is kept a week for recovery.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age            = var.raw_file_retention_days
      matches_prefix = ["pypi/daily/"]
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      age            = var.report_retention_days
      matches_prefix = ["pypi/reports/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# The Composer environment's own bucket (dags/, data/, config/), created first so that
# pip.conf is in place before Composer installs the pipeline's wheel.
resource "google_storage_bucket" "composer" {
  name                        = "${var.project_id}-pypi-composer"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  lifecycle_rule {
    condition {
      age            = var.report_retention_days
      matches_prefix = ["data/pypi-downloads/reports/"]
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "pip_conf" {
  bucket  = google_storage_bucket.composer.name
  name    = "config/pip/pip.conf"
  content = <<-EOT
    [global]
    extra-index-url = https://${var.region}-python.pkg.dev/${var.project_id}/${google_artifact_registry_repository.python.repository_id}/simple/
  EOT
}

# --- Artifact Registry: the image (Cloud Run / GKE jobs, local runs) and the wheel. ---
resource "google_artifact_registry_repository" "docker" {
  repository_id = "pypi-pipeline"
  location      = var.region
  format        = "DOCKER"
  description   = "Images of the PyPI downloads pipeline (main.py as entry point)."
  labels        = local.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 10
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_artifact_registry_repository" "python" {
  repository_id = "pypi-pipeline-python"
  location      = var.region
  format        = "PYTHON"
  description   = "The helpers package as a wheel, installed in Composer."
  labels        = local.labels

  depends_on = [google_project_service.apis]
}

# --- Alerts: Airflow callbacks publish here; a subscriber relays to chat (Chat/Teams/Slack). ---
resource "google_pubsub_topic" "alerts" {
  name   = "pypi-pipeline-alerts"
  labels = local.labels

  message_retention_duration = "604800s"

  depends_on = [google_project_service.apis]
}

# --- Composer 3: runs the DAG; the notebooks run on its workers' Python. ---
resource "google_composer_environment" "pipeline" {
  name   = "pypi-pipeline"
  region = var.region
  labels = local.labels

  storage_config {
    bucket = google_storage_bucket.composer.name
  }

  config {
    environment_size = "ENVIRONMENT_SIZE_SMALL"

    software_config {
      image_version = var.composer_image_version

      # NOTE: the Google libraries (BigQuery, Storage Read, pyarrow, pandas) come from the
      # Composer image, whose pins win: only what it lacks is added here.
      pypi_packages = {
        "apache-airflow-providers-papermill" = ">=3.8"
        "plotly"                             = ">=6"
        "pypi-downloads-pipeline"            = "==${var.pipeline_version}"
      }

      airflow_config_overrides = {
        "core-dags_are_paused_at_creation" = "True"
        "secrets-backend"                  = "airflow.providers.google.cloud.secrets.secret_manager.CloudSecretManagerBackend"
        "secrets-backend_kwargs"           = jsonencode({ connections_prefix = "airflow-connections", variables_prefix = "airflow-variables" })
      }
    }

    node_config {
      service_account = google_service_account.pipeline.email
    }
  }

  depends_on = [
    google_project_iam_member.pipeline,
    google_storage_bucket_iam_member.pipeline_composer,
    google_artifact_registry_repository_iam_member.pipeline_wheels,
    google_storage_bucket_object.pip_conf,
  ]
}

# --- Deployment: Cloud Build runs as this account (see cloudbuild.yaml). ---
resource "google_service_account" "deployer" {
  account_id   = "pypi-pipeline-deployer"
  display_name = "PyPI downloads pipeline deployer (Cloud Build)"
}

resource "google_project_iam_member" "deployer" {
  for_each = toset([
    "roles/composer.environmentAndStorageObjectAdmin", # sync dags/ and data/, update packages
    "roles/logging.logWriter",                         # build logs
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer.member
}

resource "google_artifact_registry_repository_iam_member" "deployer" {
  for_each   = { docker = google_artifact_registry_repository.docker, python = google_artifact_registry_repository.python }
  location   = each.value.location
  repository = each.value.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deployer.member
}

# Updating the environment requires acting as its service account.
resource "google_service_account_iam_member" "deployer_acts_as_pipeline" {
  service_account_id = google_service_account.pipeline.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}
