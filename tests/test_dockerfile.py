"""The Dockerfile: linted with hadolint, and its build steps replayed in a clean venv.

No Docker engine runs in CI, so the image itself is not built here. The second test does
what the builder stage does (a fresh venv, requirements.txt, the package, the kernel) with
the image's Python version when this machine has it, then runs the image's entry command.
It installs every runtime wheel: about two minutes with a warm pip cache.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
IMAGE_PYTHON = "python3.12"  # the version of the image's base, python:3.12-slim
APP_FILES = ("main.py", "notebooks", "params")
LIST_KERNELS = (
    "import json; from jupyter_client.kernelspec import KernelSpecManager; "
    "print(json.dumps(KernelSpecManager().get_all_specs()))"
)


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not os.access(found, os.X_OK):
        pytest.skip("hadolint is not installed (requirements-dev.txt lists it)")
    return found


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(maxsplit=1) for line in lines if line and not line.startswith("#")]
    return [(words[0].upper(), words[1] if len(words) > 1 else "") for words in pairs]


def test_dockerfile_passes_hadolint():
    completed = subprocess.run(
        [hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_dockerfile_is_multi_stage_non_root_with_main_as_entrypoint():
    instructions = dockerfile_instructions()
    stages = [arguments for name, arguments in instructions if name == "FROM"]
    assert stages == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE}"]
    assert ("ARG", "PYTHON_IMAGE=python:3.12-slim") in instructions
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    final = instructions[last_from:]
    users = [arguments for name, arguments in final if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("ENTRYPOINT", '["python", "main.py"]') in final
    assert ("CMD", '["run"]') in final
    assert any("ipykernel install" in arguments for name, arguments in instructions)


def test_dockerignore_keeps_only_what_the_image_needs():
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    kept = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    assert kept == {"main.py", "pyproject.toml", "requirements.txt", "src", *APP_FILES}


def find_image_python() -> str:
    """A Python of the image's version when one runs here, else this interpreter."""
    candidates = [shutil.which(IMAGE_PYTHON) or ""]
    candidates += sorted(
        glob.glob(os.path.expanduser(f"~/.pyenv/versions/3.12*/bin/{IMAGE_PYTHON}"))
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return sys.executable


def run(arguments: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        arguments, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert completed.returncode == 0, f"{arguments}:\n{completed.stdout}\n{completed.stderr}"
    return completed


def test_image_entry_command_works_in_a_clean_venv(tmp_path):
    python = find_image_python()
    venv = tmp_path / "venv"
    run([python, "-m", "venv", str(venv)], tmp_path)
    # Bytecode is not compiled here (the image does it at build): it is not what is tested.
    pip_install = [str(venv / "bin" / "python"), "-m", "pip", "-q", "install", "--no-compile"]
    run([*pip_install, "-r", str(ROOT / "requirements.txt")], tmp_path)
    # Built from a copy, as `COPY pyproject.toml src/` gives the builder stage.
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(ROOT / "pyproject.toml", build)
    shutil.copytree(ROOT / "src", build / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    run([*pip_install, "--no-deps", str(build)], tmp_path)
    image_python = str(venv / "bin" / "python")
    run([image_python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    for name in APP_FILES:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, app / name)

    helped = run([image_python, "main.py", "--help"], app, timeout=120)
    kernels = run([image_python, "-c", LIST_KERNELS], app)

    assert "usage: main.py" in helped.stdout
    for command in ("run", "check"):
        assert command in helped.stdout
    spec = json.loads(kernels.stdout)["python3"]["spec"]
    assert Path(spec["argv"][0]).parent == venv / "bin"
