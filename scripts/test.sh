#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian / Raspberry Pi OS machine: installs what is missing
# (system packages, a virtualenv with the [dev] extra), checks style, runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

ensure_system_packages
ensure_venv dev
"$VENV/bin/ruff" check .
exec "$VENV/bin/python" -m pytest "$@"
