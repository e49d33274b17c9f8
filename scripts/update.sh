#!/usr/bin/env bash
# Update securitycam from its git remote: fetch, check, install, restart, and check that the new
# version answers; if it does not, go back to the version before (and restart that).
#   sudo ./scripts/update.sh [--check] [--data-dir /var/lib/securitycam]
# --check only fetches and says whether there is an update. It runs only when asked: by hand, or
# from the dashboard (POST /system/update starts securitycam-update.service); never at boot.
# Its output is kept in <data-dir>/logs/update/ (the dashboard's /logs/update).
# SECURITYCAM_HEALTH_URL and SECURITYCAM_HEALTH_SECONDS change what "answers" means (tests).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

DATA_DIR=/var/lib/securitycam
CHECK_ONLY=
SERVICE=securitycam.service
HEALTH_URL="${SECURITYCAM_HEALTH_URL:-http://127.0.0.1:5005/auth/status}"
HEALTH_SECONDS="${SECURITYCAM_HEALTH_SECONDS:-120}"
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    --check) CHECK_ONLY=1; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

mkdir -p "$DATA_DIR/logs/update"
exec > >(tee -a "$DATA_DIR/logs/update/$(date +%Y-%m-%d_%H-%M-%S).log") 2>&1
# One update at a time (a second click on the dashboard, a manual run).
exec 9>"$DATA_DIR/logs/update/.lock"
flock -n 9 || { echo "another update is running" >&2; exit 1; }

# The checkout may belong to another user than the one running this (root): git would refuse it.
git() { command git -c safe.directory="$PWD" "$@"; }
fail() { echo "update refused: $*" >&2; exit 1; }

branch=$(git rev-parse --abbrev-ref HEAD)
[ "$branch" != HEAD ] || fail "the checkout is not on a branch"
echo "fetching origin/$branch"
git fetch --quiet origin "$branch"
old=$(git rev-parse HEAD)
new=$(git rev-parse "origin/$branch")
if [ "$old" = "$new" ]; then
  echo "up to date at ${old:0:8}"
  exit 0
fi
git merge-base --is-ancestor "$old" "$new" || fail "origin/$branch does not continue ${old:0:8} (local commits?)"
git diff --quiet HEAD || fail "the checkout $PWD has local changes"
echo "update available: ${old:0:8} -> ${new:0:8}"
git log --oneline --no-decorate "$old..$new"
[ -z "$CHECK_ONLY" ] || exit 0

# install_version COMMIT: check it out and install it; whether that worked. It runs as a condition
# (set -e is off there), so each step's failure is passed on by hand.
install_version() {
  git reset --quiet --hard "$1" || return 1
  if is_raspberry_pi; then ensure_venv pi || return 1; else ensure_venv || return 1; fi
  "$VENV/bin/python" -m compileall -q securitycam
}

# restart_and_check: restart the service; whether it answers within HEALTH_SECONDS.
restart_and_check() {
  systemctl restart "$SERVICE"
  local deadline=$((SECONDS + HEALTH_SECONDS))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if curl -fsS -m 5 -o /dev/null "$HEALTH_URL"; then return 0; fi
    sleep 2
  done
  return 1
}

if ! install_version "$new"; then
  echo "${new:0:8} did not install: rolling back to ${old:0:8}" >&2
elif restart_and_check; then
  echo "updated to ${new:0:8}; it answers"
  exit 0
else
  echo "${new:0:8} did not answer $HEALTH_URL within ${HEALTH_SECONDS} s: rolling back to ${old:0:8}" >&2
fi
if install_version "$old" && restart_and_check; then
  echo "rolled back to ${old:0:8}; it answers" >&2
else
  echo "rolled back to ${old:0:8}, which does not answer either: see journalctl -u $SERVICE" >&2
fi
exit 1
