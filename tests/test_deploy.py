"""The files in deploy/, checked with each tool's own check where the tool works on this machine.

A missing tool is installed from Debian's packages when apt can do it here; otherwise the
test skips and says why. Nothing is installed by hand for these tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def _tool(command: str, package: str) -> str:
    """The path of `command`, installed with apt-get from Debian's packages if need be."""
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/usr/bin:/sbin")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"{command} is missing and apt-get cannot install {package} here (needs root on Debian)")
    try:
        installed = subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", package],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{command} is missing and installing {package} with apt-get took too long")
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/usr/bin:/sbin")
    if installed.returncode != 0 or not found:
        pytest.skip(f"{command} is missing and apt-get could not install {package}: {installed.stderr[-300:]}")
    return found


def _unit_here(tmp_path: Path) -> Path:
    """The unit with the install directory of the README pointed at this checkout."""
    text = (DEPLOY / "mitmach-bot.service").read_text()
    text = text.replace("/opt/mitmach-bot/.venv/bin/python", sys.executable).replace("/opt/mitmach-bot", str(ROOT))
    unit = tmp_path / "mitmach-bot.service"
    unit.write_text(text)
    return unit


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze", "systemd")
    checked = subprocess.run([analyze, "verify", str(_unit_here(tmp_path))], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", f"systemd warns about the unit: {checked.stderr}"


def test_the_systemd_unit_is_hardened(tmp_path: Path) -> None:
    """systemd's own rating of the sandbox: 'OK' (at most 2.0 of 10; 10 is no sandbox at all)."""
    analyze = _tool("systemd-analyze", "systemd")
    rated = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", "--no-pager", str(_unit_here(tmp_path))],
        capture_output=True,
        text=True,
    )
    if "--offline" in rated.stderr and "unrecognized" in rated.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd 250 or newer can)")
    assert rated.returncode == 0, rated.stdout[-1500:] + rated.stderr
    for option in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet="):
        assert option in (DEPLOY / "mitmach-bot.service").read_text()


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    nginx = _tool("nginx", "nginx")
    openssl = _tool("openssl", "openssl")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=mitmachen.example.de"]
    made = subprocess.run(
        [openssl, *request, "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "nginx" / "mitmach-bot.conf").read_text()
    site = site.replace("/etc/ssl/mitmachen/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/mitmachen/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    temp = "".join(
        f"{name}_temp_path {tmp_path}/{name};\n" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\n{temp}include {tmp_path}/site.conf;\n}}\n"
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_the_compose_file_runs_the_image_of_the_containerfile_beside_postgresql_16() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert (ROOT / "deploy" / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == (
        DEPLOY / "Containerfile"
    )
    assert db["image"].split(":")[1].startswith("16")
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"]), "the bot is reached through the proxy"


def _container_tool() -> str:
    reasons = []
    for tool in ("podman", "docker"):
        path = shutil.which(tool)
        if path is None:
            reasons.append(f"no {tool}")
            continue
        info = subprocess.run([path, "info"], capture_output=True, text=True, timeout=60)
        if info.returncode == 0:
            return path
        reasons.append(f"{tool} does not work here ({(info.stderr.strip().splitlines() or ['?'])[-1]})")
    pytest.skip("no container tool to build the image with: " + "; ".join(reasons))


def test_the_container_image_builds() -> None:
    tool = _container_tool()
    built = subprocess.run(
        [tool, "build", "-f", str(DEPLOY / "Containerfile"), "-t", "mitmach-bot:test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    checked = subprocess.run(
        [
            tool,
            "run",
            "--rm",
            "mitmach-bot:test",
            "python",
            "-m",
            "bot",
            "content",
            "check",
            "content/aalen-heidenheim.yaml",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stderr
    assert ": ok (" in checked.stdout
