#!/usr/bin/env bash
# Installs what the pipeline needs for the Python services on a CI runner: Python 3.11 or later
# with venv and pip (scripts/check-python-fastapi.sh makes each service's environment from its
# pinned requirements), and the scanners, in .venv-ci: bandit (SAST as SARIF), cyclonedx-bom
# (SBOM) and pip-audit (known vulnerabilities of the dependencies). Versions are pinned; raise
# them deliberately.
set -euo pipefail
cd "$(dirname "$0")/.."

usable() { python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if ! usable; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
if ! usable; then
  echo "setup-python-fastapi: python3 must be Python 3.11 or later with venv; install it on the runner image" >&2
  exit 2
fi
[ -x .venv-ci/bin/pip ] || python3 -m venv .venv-ci
.venv-ci/bin/pip install -q --disable-pip-version-check \
  'bandit[sarif]==1.9.4' cyclonedx-bom==7.5.0 pip-audit==2.10.1
