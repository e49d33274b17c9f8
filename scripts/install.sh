#!/usr/bin/env bash
# Install securitycam as a systemd service on a Raspberry Pi (run with sudo from the checkout).
#   sudo ./scripts/install.sh [--data-dir /var/lib/securitycam]
# Idempotent: run it again after an update. Its output is kept in <data-dir>/logs/install/, where
# the dashboard's log viewer (/logs/install) finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

DATA_DIR=/var/lib/securitycam
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run with sudo" >&2; exit 1; }

mkdir -p "$DATA_DIR/logs/install"
LOG="$DATA_DIR/logs/install/$(date +%Y-%m-%d_%H-%M-%S).log"
exec > >(tee -a "$LOG") 2>&1
echo "installing securitycam from $PWD into $DATA_DIR"

ensure_system_packages iptables bluez
id securitycam >/dev/null 2>&1 || useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin securitycam
for group in gpio video bluetooth; do
  getent group "$group" >/dev/null && usermod -aG "$group" securitycam
done
if is_raspberry_pi; then ensure_venv pi; else ensure_venv; fi
# The segment ring is rewritten every two seconds: keep it in RAM, not on the SD card.
mkdir -p "$DATA_DIR/cache"
uid=$(id -u securitycam); gid=$(id -g securitycam)
if ! grep -q " $DATA_DIR/cache " /etc/fstab; then
  echo "tmpfs $DATA_DIR/cache tmpfs size=96m,mode=0700,uid=$uid,gid=$gid,noexec,nosuid,nodev 0 0" >> /etc/fstab
fi
mountpoint -q "$DATA_DIR/cache" || mount "$DATA_DIR/cache"
chown -R securitycam:securitycam "$DATA_DIR"
chmod 700 "$DATA_DIR"

sed -e "s#/opt/securitycam#$PWD#g" -e "s#/var/lib/securitycam#$DATA_DIR#g" \
  systemd/securitycam.service > /etc/systemd/system/securitycam.service
# The service restarts itself and reboots the Pi from the dashboard, and sets the captive portal rule
# (securitycam/system/runner.py: SubprocessRunner.PRIVILEGED); nothing else runs as root.
IPTABLES=$(command -v iptables)
cat > /etc/sudoers.d/securitycam <<SUDOERS
securitycam ALL=(root) NOPASSWD: /usr/bin/systemctl restart securitycam.service, /usr/bin/systemctl reboot
securitycam ALL=(root) NOPASSWD: $IPTABLES -t nat -C PREROUTING *, $IPTABLES -t nat -A PREROUTING *, $IPTABLES -t nat -D PREROUTING *
SUDOERS
visudo -cf /etc/sudoers.d/securitycam
chmod 440 /etc/sudoers.d/securitycam
systemctl daemon-reload
systemctl enable --now securitycam.service
echo "securitycam is running on port 5005; first password: $DATA_DIR/default-password.txt"
