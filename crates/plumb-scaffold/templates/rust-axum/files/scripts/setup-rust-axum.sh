#!/usr/bin/env bash
# Installs what the pipeline needs for the Rust services on a CI runner: the toolchain
# components, cargo-nextest (JUnit results), cargo-llvm-cov (coverage), cargo-cyclonedx (SBOM),
# clippy-sarif (SAST results as SARIF) and Trivy (vulnerabilities in the SBOM). Tools already
# present are kept. Versions are pinned; raise them deliberately.
set -euo pipefail

rustup component add clippy llvm-tools-preview
install() {
  if ! cargo "$1" --version >/dev/null 2>&1 && ! command -v "$1" >/dev/null 2>&1; then
    cargo install --locked "$2"
  fi
}
install nextest cargo-nextest@0.9.151
install llvm-cov cargo-llvm-cov@0.9.1
install cyclonedx cargo-cyclonedx@0.5.9
install clippy-sarif clippy-sarif@0.8.0
if ! command -v trivy >/dev/null 2>&1; then
  # Into the user's own bin directory: CI runners do not run as root.
  bin="${HOME}/.local/bin"
  mkdir -p "$bin"
  curl -sSfL https://raw.githubusercontent.com/aquasecurity/trivy/v0.58.1/contrib/install.sh \
    | sh -s -- -b "$bin" v0.58.1
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >> "$GITHUB_PATH"; fi
  export PATH="$bin:$PATH"
fi
