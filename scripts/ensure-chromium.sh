#!/usr/bin/env bash
# Installs Debian's chromium (for the headless browser tests) when it is
# missing. Idempotent: when chromium is on PATH it only prints its path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    echo "installing chromium with apt-get (once)" >&2
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=600 chromium >/dev/null
fi
command -v chromium
