# Cloud Monitoring: alerts that do not depend on the DAG's own callbacks (a scheduler
# down or a DAG that never starts sends no callback).

resource "google_monitoring_notification_channel" "email" {
  display_name = "PyPI pipeline on-call (mail)"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

resource "google_monitoring_notification_channel" "pubsub" {
  display_name = "PyPI pipeline alerts topic (relayed to chat)"
  type         = "pubsub"
  labels = {
    topic = google_pubsub_topic.alerts.id
  }
}

# Monitoring publishes to the topic as its service agent.
resource "google_pubsub_topic_iam_member" "monitoring_alerts" {
  topic  = google_pubsub_topic.alerts.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-monitoring-notification.iam.gserviceaccount.com"
}

locals {
  notification_channels = [
    google_monitoring_notification_channel.email.id,
    google_monitoring_notification_channel.pubsub.id,
  ]
  workflow = "resource.type = \"cloud_composer_workflow\" AND resource.labels.workflow_name = \"pypi_downloads\""
}

resource "google_monitoring_alert_policy" "failed_runs" {
  display_name          = "PyPI pipeline: failed DAG run"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "pypi_downloads run failed"
    condition_threshold {
      filter          = "${local.workflow} AND metric.type = \"composer.googleapis.com/workflow/run_count\" AND metric.labels.state = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A run of `pypi_downloads` failed. Open the run in the Airflow UI, fix the cause, then clear the failed tasks (the day is re-processed idempotently)."
  }
}

resource "google_monitoring_alert_policy" "failed_tasks" {
  display_name          = "PyPI pipeline: failed task"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "pypi_downloads task failed"
    condition_threshold {
      filter          = "${local.workflow} AND metric.type = \"composer.googleapis.com/workflow/task/run_count\" AND metric.labels.state = \"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "A task of `pypi_downloads` failed (after its retries). The task log names the cause; `main.py check` failures name the failing data-quality check."
  }
}

# Stale data: the quality-check task logs "all N checks passed for <day>" on success.
resource "google_logging_metric" "checks_passed" {
  name        = "pypi_quality_checks_passed"
  description = "Successful data-quality checks of the PyPI downloads pipeline, one per processed day."
  # NOTE: Composer writes task logs to the airflow-worker log as text; a change of the
  # check's message must be reflected here.
  filter = "resource.type = \"cloud_composer_environment\" AND logName = \"projects/${var.project_id}/logs/airflow-worker\" AND textPayload:\"checks passed for\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_monitoring_alert_policy" "stale_data" {
  display_name          = "PyPI pipeline: no validated day for 24 hours"
  combiner              = "OR"
  notification_channels = local.notification_channels

  conditions {
    display_name = "no successful quality check in 24 h"
    condition_absent {
      filter   = "resource.type = \"cloud_composer_environment\" AND metric.type = \"logging.googleapis.com/user/${google_logging_metric.checks_passed.name}\""
      duration = "86400s"
      aggregations {
        alignment_period   = "3600s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    content   = "No day of PyPI downloads passed its quality checks in the last 24 hours: the dashboard is getting stale. Check that the DAG is unpaused, the scheduler healthy, and the source sensor not waiting on a late public table."
  }
}
