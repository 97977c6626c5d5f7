variable "project_id" {
  description = "Project that runs the jobs and owns the datasets, buckets and Composer."
  type        = string
}

variable "region" {
  description = "Region of Composer, Artifact Registry and the data bucket; a US region, close to the public dataset."
  type        = string
  default     = "us-central1"
}

variable "bigquery_location" {
  description = "Location of the datasets: the public PyPI dataset is in the US multi-region."
  type        = string
  default     = "US"
}

variable "composer_image_version" {
  description = "Composer 3 image; the DAG imports on Airflow 2.10+ and on Airflow 3."
  type        = string
  default     = "composer-3-airflow-2.10.5"
}

variable "pipeline_version" {
  description = "Version of the pypi-downloads-pipeline wheel (pyproject.toml) installed in Composer."
  type        = string
  default     = "0.1.0"
}

variable "alert_email" {
  description = "Address of the data engineers' on-call list, for Cloud Monitoring alerts."
  type        = string
}

variable "raw_file_retention_days" {
  description = "Days the daily Parquet files stay in Standard storage before moving to Nearline."
  type        = number
  default     = 30
}

variable "report_retention_days" {
  description = "Days HTML reports are kept."
  type        = number
  default     = 90
}
