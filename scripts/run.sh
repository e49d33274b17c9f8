#!/usr/bin/env bash
# Install what is missing and start the appliance in the foreground on port 5005.
# Extra arguments go to `securitycam serve` (e.g. --data-dir /var/lib/securitycam).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

if is_raspberry_pi; then
  ensure_system_packages iptables bluez
  ensure_venv pi
else
  ensure_system_packages
  ensure_venv
fi
exec "$VENV/bin/securitycam" serve --host 0.0.0.0 --port 5005 --data-dir "${SECURITYCAM_DATA_DIR:-./data}" "$@"
