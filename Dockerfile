# The pipeline as a runnable image: `main.py` is the entry point, `run` the default command.
#   docker build -t pypi-downloads .
#   docker run --rm pypi-downloads                       # yesterday, local BigQuery replica
#   docker run --rm pypi-downloads run --date 2026-11-20 --params params/prod.yaml
#   docker run --rm pypi-downloads check --date 2026-11-20 --params params/prod.yaml
# In production the credentials come from the runtime (Workload Identity on GKE or Cloud
# Run, the metadata server), never from the image.
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /build
RUN python -m venv /opt/venv
# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY pyproject.toml ./
COPY src/ src/
RUN pip install --no-cache-dir --no-deps . \
    # Papermill starts the kernel named python3: it must be this venv's interpreter.
    && python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (pipeline)"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin pipeline
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY main.py ./
COPY notebooks/ notebooks/
COPY params/ params/
# Outputs of a run (daily files, executed notebooks, reports, the local BigQuery's files):
# the only folders the non-root user writes. Mount volumes or sync them to Cloud Storage.
RUN mkdir data reports .bqemulator && chown pipeline:pipeline data reports .bqemulator
USER 10001
# A batch job, not a service: it ends with its exit code, there is nothing to probe.
HEALTHCHECK NONE
ENTRYPOINT ["python", "main.py"]
CMD ["run"]
