"""Debian packages the project needs on a fresh machine, installed when missing (as root, like CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def debian_package_binary(binary: str, *packages: str) -> str:
    """`binary` from PATH, installing Debian's `packages` first when it is missing (as root)."""
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"{binary} is not installed: run `sudo apt-get install -y {' '.join(packages)}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, capture_output=True)
    found = shutil.which(binary)
    if not found:
        raise RuntimeError(f"apt-get installed {' '.join(packages)} but {binary} is not on PATH")
    return found


def ensure_browser() -> str:
    """Debian's Chromium, its driver, and a CJK font (the unit page is Chinese)."""
    packages = ("chromium", "chromium-driver", "fonts-wqy-microhei")
    have_font = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc").exists()
    if shutil.which("chromium") and shutil.which("chromedriver") and have_font:
        return str(shutil.which("chromium"))
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"run `sudo apt-get install -y {' '.join(packages)}`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, capture_output=True)
    return str(shutil.which("chromium"))
