#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian / Raspberry Pi OS machine: installs what is missing
# (system packages, Chromium for the dashboard's browser tests, Node to build the dashboard, a
# virtualenv with the [dev] extra), checks style and that the committed dashboard build is fresh,
# runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

# tests/test_deploy.py checks every script with shellcheck and every unit with systemd-analyze.
ensure_system_packages chromium shellcheck systemd
ensure_venv dev
"$VENV/bin/ruff" check .
scripts/build_dashboard.sh --check
exec "$VENV/bin/python" -m pytest "$@"
