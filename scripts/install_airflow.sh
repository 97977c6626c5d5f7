#!/usr/bin/env bash
# A real Airflow for the DAG tests, in its own virtual environment (.airflow-venv), apart
# from the pipeline's .venv: Airflow pins its own versions of many libraries.
#
# - Installs requirements-airflow.txt (Airflow 3 and the providers the DAG imports, with
#   every transitive version pinned, in place of Airflow's constraints file).
# - Installs the project's `helpers` package without dependencies, as Composer installs
#   the pipeline's wheel: the freshness sensor imports it inside the Airflow worker.
# - Registers the pipeline's own .venv Python as the Jupyter kernel `pypi-pipeline`
#   inside .airflow-venv, so Papermill tasks run the notebooks with the pinned runtime.
#
# Idempotent: a stamp file records what was installed; a re-run with the same inputs
# only checks the kernel and exits within a second. A fresh install of the ~330 pinned
# wheels takes about 3.5 minutes on 2 cores with pip's cache warm, a few more when every
# wheel is downloaded. Bytecode is compiled on first import, not at install.
set -euo pipefail
cd "$(dirname "$0")/.."

AIRFLOW_VENV="${AIRFLOW_VENV:-.airflow-venv}"
AIRFLOW_PYTHON="${AIRFLOW_PYTHON:-python3}"
PIPELINE_PYTHON=".venv/bin/python"
KERNEL_NAME="pypi-pipeline"
STAMP="$AIRFLOW_VENV/.installed"

if [ ! -x "$PIPELINE_PYTHON" ]; then
  echo "The pipeline's virtual environment is missing: run 'make venv' first." >&2
  exit 1
fi

inputs_digest() {
  cat requirements-airflow.txt pyproject.toml "$0" | sha256sum | cut -d' ' -f1
}

kernel_is_registered() {
  # True when the kernel spec exists and its interpreter is still there.
  local spec="$AIRFLOW_VENV/share/jupyter/kernels/$KERNEL_NAME/kernel.json"
  [ -f "$spec" ] && "$AIRFLOW_VENV/bin/python" -c \
    'import json, os, sys; sys.exit(not os.access(json.load(open(sys.argv[1]))["argv"][0], os.X_OK))' \
    "$spec"
}

register_kernel() {
  # The kernel spec names the .venv interpreter by absolute path; it lives under the
  # Airflow venv's prefix, where Papermill (jupyter_client) looks for kernel specs.
  # (ipykernel warns that this prefix is not on the .venv's own search path: expected.)
  local output
  output="$("$PIPELINE_PYTHON" -m ipykernel install --prefix "$AIRFLOW_VENV" \
    --name "$KERNEL_NAME" --display-name "PyPI pipeline (.venv)" 2>&1)" || {
    echo "$output" >&2
    exit 1
  }
  echo "Jupyter kernel '$KERNEL_NAME' registered in $AIRFLOW_VENV"
}

digest="$(inputs_digest)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$digest" ] && [ -x "$AIRFLOW_VENV/bin/airflow" ]; then
  kernel_is_registered || register_kernel
  exit 0
fi

started=$SECONDS
echo "Installing Airflow in $AIRFLOW_VENV (a few minutes on a fresh machine)..."
if [ ! -x "$AIRFLOW_VENV/bin/python" ]; then
  "$AIRFLOW_PYTHON" -m venv "$AIRFLOW_VENV"
fi
pip_install() {
  "$AIRFLOW_VENV/bin/python" -m pip --disable-pip-version-check -q install --no-compile "$@"
}
pip_install -r requirements-airflow.txt
pip_install --no-deps -e .
register_kernel
"$AIRFLOW_VENV/bin/python" - <<'EOF'
import airflow
from jupyter_client.kernelspec import KernelSpecManager

assert "pypi-pipeline" in KernelSpecManager().find_kernel_specs(), "kernel not visible"
print(f"Airflow {airflow.__version__} ready")
EOF
echo "$digest" >"$STAMP"
echo "Airflow installed in $((SECONDS - started)) s"
