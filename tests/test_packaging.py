"""Installed like any Python tool: the wheel built from this checkout's files, installed
into a clean virtualenv outside the checkout with requirements.lock as constraints, runs
the demo from another directory, on every Python 3.11-3.13 this machine has.

The Python running the tests installs with pip, as the README tells a user to; the other
Pythons install with uv (a test dependency), which reads the same lock and takes seconds
where pip takes a minute, so three interpreters fit the suite's time budget. Every
interpreter's demo must give byte-identical families and links: numpy and every other
dependency are pinned for all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
SUPPORTED = ("3.11", "3.12", "3.13")
COMPARED = ("families.csv", "person_links.csv", "results.csv", "rejected_rows.csv")


def _version_of(python: str) -> str | None:
    try:
        done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def interpreters() -> dict[str, str]:
    """One working interpreter per supported version: this one, then PATH, then pyenv's."""
    found = {f"{sys.version_info[0]}.{sys.version_info[1]}": sys.executable}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in SUPPORTED:
        candidates = [shutil.which(f"python{version}"), *sorted(map(str, pyenv.glob(f"{version}*/bin/python{version}")))]
        for python in filter(None, candidates):
            if version not in found and _version_of(python) == version:
                found[version] = python
    return {v: p for v, p in found.items() if v in SUPPORTED}


def _uv() -> str | None:
    return shutil.which("uv") or next((str(p) for p in [Path(sys.executable).parent / "uv"] if p.exists()), None)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _without_seconds(out: Path) -> dict:
    summary = json.loads((out / "run_summary.json").read_text())
    del summary["seconds"]
    return summary


def _clean_env() -> dict[str, str]:
    """The environment a user's shell has: no Prefect settings of ours, no virtualenv."""
    drop = ("PREFECT_HOME", "PREFECT_API_URL", "VIRTUAL_ENV", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if k not in drop}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built (as CI does) from a copy of the files git knows, not the working folder."""
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                   check=True, capture_output=True, timeout=600)
    (built,) = dist.glob("cohort-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """version -> the bin folder of a fresh virtualenv with the wheel installed (made once)."""
    venvs: dict[str, Path] = {}

    def get(version: str) -> Path:
        if version not in venvs:
            venvs[version] = _install(interpreters()[version], wheel, tmp_path_factory.mktemp(f"venv{version}"))
        return venvs[version]
    return get


def _install(python: str, wheel: Path, venv: Path) -> Path:
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    installed = bin_dir / "python"
    uv = _uv()
    if python == sys.executable or uv is None:
        # --no-compile: byte-compiling all of Prefect costs more CPU than the demo; first imports compile what is used.
        command = [str(installed), "-m", "pip", "install", "-q", "--no-compile", "-c", str(LOCK), str(wheel)]
    else:
        command = [uv, "pip", "install", "-q", "--python", str(installed), "-c", str(LOCK), str(wheel)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200, env=_clean_env())
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir


@pytest.fixture(scope="module")
def demo(installed, tmp_path_factory):
    """version -> (bin folder, the folder `cohort demo` ran in, its result), run once each,
    from a folder outside the checkout, as a user with no Prefect settings."""
    runs: dict[str, tuple[Path, Path, subprocess.CompletedProcess]] = {}

    def get(version: str):
        if version not in runs:
            bin_dir, elsewhere = installed(version), tmp_path_factory.mktemp(f"elsewhere{version}")
            done = subprocess.run([str(bin_dir / "cohort"), "demo"], cwd=elsewhere, capture_output=True, text=True,
                                  env=_clean_env(), timeout=600)
            runs[version] = (bin_dir, elsewhere, done)
        return runs[version]
    return get


THIS = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.parametrize("version", list(interpreters()))
def test_the_wheel_installs_and_runs_the_demo(version, demo):
    bin_dir, elsewhere, done = demo(version)
    assert done.returncode == 0, done.stderr[-3000:]
    run = dict(cwd=elsewhere, capture_output=True, text=True, env=_clean_env(), timeout=600)
    version_line = subprocess.run([str(bin_dir / "cohort"), "--version"], **run)
    assert re.fullmatch(r"cohort \d+\.\d+\.\d+\S*\n", version_line.stdout)
    assert subprocess.run([str(bin_dir / "python"), "-m", "cohort", "--version"], **run).stdout == version_line.stdout

    out = elsewhere / "demo_output" / "outputs"
    assert len(list((out / "district_lists").glob("*.xlsx"))) == 12
    assert (elsewhere / "demo_output" / "warehouse.duckdb.prefect" / "prefect.db").is_file()
    # The same links and families on every Python (the lock pins numpy and the rest).
    reference = demo(THIS)[1] / "demo_output" / "outputs"
    for name in COMPARED:
        assert _digest(out / name) == _digest(reference / name), f"{name} differs on Python {version}"
    assert _without_seconds(out) == _without_seconds(reference)  # the run id too

    # Only `cohort` is installed: no bare `flows`, `matching`... to collide with other packages.
    probe = "import importlib.util as u; print([m for m in ('flows', 'matching', 'schemas', 'reports', 'core') if u.find_spec(m)])"
    assert subprocess.run([str(bin_dir / "python"), "-c", probe], **run).stdout.strip() == "[]"


def test_dask_address_without_the_dask_extra_names_it(installed, tmp_path):
    """The plain install has no Dask; asking for a cluster says which extra to install."""
    bin_dir = installed(THIS)
    drop = tmp_path / "drop"
    drop.mkdir()
    done = subprocess.run([str(bin_dir / "cohort"), "run", "--input", str(drop), "--as-of", "31/03/2014",
                           "--db", str(tmp_path / "w.duckdb"), "--out", str(tmp_path / "out"),
                           "--dask-address", "tcp://127.0.0.1:8786"],
                          cwd=tmp_path, capture_output=True, text=True, env=_clean_env(), timeout=300)
    assert done.returncode == 2
    assert "cohort: --dask-address needs the dask extra, which is not installed: pip install 'cohort[dask]'" \
        in done.stderr.splitlines()
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "out").exists()
