terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.0, < 8.0"
    }
  }

  # State in a bucket created once by hand (it cannot manage itself):
  #   gcloud storage buckets create gs://<project>-tfstate --location=US
  # then: terraform init -backend-config="bucket=<project>-tfstate"
  backend "gcs" {
    prefix = "pypi-downloads"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}
