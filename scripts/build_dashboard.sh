#!/usr/bin/env bash
# Build the dashboard (dashboard/, Astro) into securitycam/dashboard/, the copy that ships inside the
# Python package and that the appliance serves under /ui/ (a Pi never runs Node). Commit the result.
#   scripts/build_dashboard.sh          rebuild securitycam/dashboard/ from the sources
#   scripts/build_dashboard.sh --check  build into a temporary folder and fail if the committed build
#                                       differs from it (sources changed, build not redone)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

ensure_node
# npm ci only when the lock file changed since the last install (npm writes its own copy of it).
if ! [ -f dashboard/node_modules/.package-lock.json ] ||
   [ dashboard/package-lock.json -nt dashboard/node_modules/.package-lock.json ]; then
  (cd dashboard && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = "--check" ]; then
  fresh=$(mktemp -d)
  trap 'rm -rf "$fresh"' EXIT
  (cd dashboard && DASHBOARD_OUT_DIR="$fresh" npm run --silent build >/dev/null)
  if ! diff -r "$fresh" securitycam/dashboard >/dev/null; then
    diff -rq "$fresh" securitycam/dashboard | sed 's|'"$fresh"'|<fresh build>|' >&2 || true
    echo "securitycam/dashboard/ is stale against dashboard/: run scripts/build_dashboard.sh and commit" >&2
    exit 1
  fi
  echo "dashboard build is up to date"
else
  (cd dashboard && npm run --silent build >/dev/null)
  echo "dashboard built into securitycam/dashboard/"
fi
