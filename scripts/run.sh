#!/usr/bin/env bash
# Install what is missing and start the appliance in the foreground on port 5005.
# Extra arguments go to `securitycam serve` (e.g. --data-dir /var/lib/securitycam).
# The dashboard is served prebuilt from securitycam/dashboard/ (no Node needed); after changing its
# sources in dashboard/, rebuild it with scripts/build_dashboard.sh.
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
if [ -n "$(find dashboard/src dashboard/public -newer securitycam/dashboard/index.html -type f 2>/dev/null | head -1)" ]; then
  echo "note: dashboard/ changed since securitycam/dashboard/ was built: run scripts/build_dashboard.sh" >&2
fi
exec "$VENV/bin/securitycam" serve --host 0.0.0.0 --port 5005 --data-dir "${SECURITYCAM_DATA_DIR:-./data}" "$@"
