output "pipeline_service_account" {
  value = google_service_account.pipeline.email
}

output "deployer_service_account" {
  value = google_service_account.deployer.email
}

output "data_bucket" {
  description = "Value of the Airflow Variable pypi_output_uri is gs://<this>/pypi."
  value       = google_storage_bucket.data.name
}

output "composer_bucket" {
  value = google_storage_bucket.composer.name
}

output "composer_dag_prefix" {
  value = google_composer_environment.pipeline.config[0].dag_gcs_prefix
}

output "docker_repository" {
  value = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.docker.repository_id}"
}

output "python_repository" {
  value = "https://${var.region}-python.pkg.dev/${var.project_id}/${google_artifact_registry_repository.python.repository_id}/"
}

output "alert_topic" {
  description = "Value of the Airflow Variable pypi_alert_topic."
  value       = google_pubsub_topic.alerts.id
}
