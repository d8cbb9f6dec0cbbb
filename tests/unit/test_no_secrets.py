"""No secret in the repository: credentials come only through env_var().

Scans every tracked file (git ls-files) for private keys, well-known token
formats and credential assignments with a literal value, and checks that every
credential field of profiles/profiles.yml is an env_var() call. Both checks
are shown to fail on planted secrets in a temporary copy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from support.dbt import REPO

PATTERNS: dict[str, re.Pattern[str]] = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    "Databricks token": re.compile(r"\bdapi[0-9a-f]{32}\b"),
    "URL with password": re.compile(r"://[^/\s:@'\"]+:[^/\s:@'\"{}$]+@"),
    # key: value / key = value with a literal (not env_var, a variable or empty)
    "credential assignment": re.compile(
        r"""(?ix)\b(password|passwd|pwd|secret|client_secret|api_?key|access_?key|token|
        private_key)\b["']?\s*[:=]\s*["']?(?!\s*["']?\s*(?:\{\{|\$|os\.environ|env_var|none|null|
        \"\"|''|$|\$\{\{))([^\s"'#,()]{4,})(?![(\w])"""
    ),
}
CREDENTIAL_FIELDS = {
    "user", "username", "password", "pass", "token", "private_key", "private_key_path",
    "keyfile", "client_secret", "client_id", "access_token", "refresh_token", "api_key",
}  # fmt: skip


def tracked_files(root: Path) -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return [root / n for n in names if n and (root / n).is_file()]


def scan_text(path: Path, text: str) -> list[str]:
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        for name, pattern in PATTERNS.items():
            if pattern.search(line):
                findings.append(f"{path}:{number}: {name}: {line.strip()[:120]}")
    return findings


def scan_files(files: list[Path]) -> list[str]:
    findings: list[str] = []
    for path in files:
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue  # binary
        findings += scan_text(path, text)
    return findings


def profile_credentials_not_from_env(profiles: Path) -> list[str]:
    """Credential fields of every output that are not an env_var() call."""
    problems = []
    config = yaml.safe_load(profiles.read_text())
    for profile_name, profile in config.items():
        for output_name, output in (profile.get("outputs") or {}).items():
            for field, value in output.items():
                if field.lower() in CREDENTIAL_FIELDS and "env_var(" not in str(value):
                    problems.append(f"{profile_name}.{output_name}.{field} = {value!r}")
    return problems


def test_repository_has_no_secret() -> None:
    files = tracked_files(REPO)
    assert len(files) > 50
    assert scan_files(files) == []


def test_profile_credentials_come_from_env_vars() -> None:
    profiles = REPO / "profiles" / "profiles.yml"
    assert profile_credentials_not_from_env(profiles) == []
    # the postgres output really has credential fields to check
    output = yaml.safe_load(profiles.read_text())["retention"]["outputs"]["postgres"]
    assert {"user", "password"} <= set(output)


def test_scan_fails_on_planted_secrets(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "profiles", copy / "profiles")
    # Built from pieces so that this file itself does not contain them.
    planted = {
        "config.yml": "  pass" + "word: hunter2secret\n",
        "settings.py": "API_" + 'KEY = "sk_live_abcdef123456"\n',
        "id_rsa": "-----BEGIN RSA PRIVATE" + " KEY-----\nMIIE\n",
        "ci.env": "GITHUB=ghp_" + "a1B2" * 9 + "\n",
        "dsn.txt": "postgresql://admin:s3cr3t" + "@db.example.com/shop\n",
    }
    for name, text in planted.items():
        (copy / name).write_text(text)
    findings = scan_files([copy / n for n in planted])
    for name in planted:
        assert any(f"{copy / name}:" in f for f in findings), (name, findings)
    # a literal password in the profile
    profiles = copy / "profiles" / "profiles.yml"
    text = profiles.read_text()
    profiles.write_text(
        text.replace("\"{{ env_var('RETENTION_PG_PASSWORD', '') }}\"", "not-from-env")
    )
    problems = profile_credentials_not_from_env(profiles)
    assert len(problems) == 1 and problems[0].startswith("retention.postgres.pass"), problems
    assert "not-from-env" in problems[0]
    # env_var() references are not findings
    assert scan_text(Path("x"), "      password: \"{{ env_var('X') }}\"") == []
