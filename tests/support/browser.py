"""Headless Chromium for the page tests: screenshots and the DOM after load.

Chromium is Debian's package; ``ensure_chromium`` installs it when missing
(scripts/ensure-chromium.sh, a no-op when installed). Every run gets a fresh
profile and the flags this machine needs (no background networking: the
network is closed).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from retention.paths import project_dir

REPO = project_dir()
SCREENSHOTS = REPO / "artifacts" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
TIMEOUT_SECONDS = 180


def ensure_chromium() -> str:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure-chromium.sh")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"could not install chromium:\n{done.stdout}{done.stderr}"
    return done.stdout.strip().splitlines()[-1]


def _run(url: str, *args: str, budget_ms: int) -> subprocess.CompletedProcess[str]:
    chromium = ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                *args,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )


def dump_dom(url: str, budget_ms: int = 15000) -> str:
    """The page's DOM once its scripts have run (``--dump-dom``)."""
    done = _run(url, "--dump-dom", budget_ms=budget_ms)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def screenshot(url: str, out: Path, width: int, height: int, budget_ms: int = 15000) -> Path:
    """A PNG of the page at width x height."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    done = _run(url, f"--screenshot={out}", f"--window-size={width},{height}", budget_ms=budget_ms)
    assert done.returncode == 0 and out.exists(), done.stderr[-3000:]
    return out
