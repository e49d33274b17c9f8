#!/usr/bin/env bash
# Install securitycam as systemd services on Raspberry Pi OS Bookworm (32- or 64-bit), from this
# checkout (run it with sudo where the checkout is to stay, e.g. /opt/securitycam):
#   sudo ./scripts/install.sh [--data-dir /var/lib/securitycam] [--boot-dir /boot/firmware]
#   ./scripts/install.sh --dry-run [--arch arm64|armhf]   # print every action (as on a Pi of that
#                                                         # architecture), change nothing
# Idempotent: run it again after an update; a step already done is skipped. Its output is kept
# in <data-dir>/logs/install/, where the dashboard's log viewer (/logs/install) finds it.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/mediamtx.sh
. scripts/mediamtx.sh

# iptables: the captive portal's port-80 rule; network-manager: the first-boot hotspot (nmcli);
# polkitd: lets the service (no sudo under NoNewPrivileges) ask NetworkManager and systemd;
# avahi-daemon: <hostname>.local, the address the setup page gives; curl: downloads, health checks.
PI_PACKAGES=(iptables bluez network-manager polkitd avahi-daemon curl ca-certificates)
UNIT_DIR=/etc/systemd/system

DATA_DIR=/var/lib/securitycam
BOOT_DIR=/boot/firmware
[ -d /boot/firmware ] || BOOT_DIR=/boot
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
DRY_RUN=
ARCH_GIVEN=
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) DATA_DIR="$2"; shift 2 ;;
    --boot-dir) BOOT_DIR="$2"; shift 2 ;;
    --arch) ARCH="$2"; ARCH_GIVEN=1; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
export DRY_RUN
[ -n "$DRY_RUN" ] || [ "$(id -u)" -eq 0 ] || { echo "run with sudo (or --dry-run)" >&2; exit 1; }

if [ -z "$DRY_RUN" ]; then
  mkdir -p "$DATA_DIR/logs/install"
  LOG="$DATA_DIR/logs/install/$(date +%Y-%m-%d_%H-%M-%S).log"
  exec > >(tee -a "$LOG") 2>&1
fi
echo "installing securitycam from $PWD into $DATA_DIR (${DRY_RUN:+dry run, }architecture $ARCH)"

# on_pi: a Raspberry Pi, or a dry run with --arch, which shows what a Pi of that architecture gets.
on_pi() {
  is_raspberry_pi || { [ -n "$DRY_RUN" ] && [ -n "$ARCH_GIVEN" ]; }
}

# render FILE: a unit or config file of the checkout with this install's paths and ids in it.
render() {
  sed -e "s#/opt/securitycam#$PWD#g" -e "s#/var/lib/securitycam#$DATA_DIR#g" \
      -e "s#/boot/firmware#$BOOT_DIR#g" -e "s#@UID@#$SERVICE_UID#g" -e "s#@GID@#$SERVICE_GID#g" "$1"
}

if on_pi; then ensure_system_packages "${PI_PACKAGES[@]}"; else ensure_system_packages curl; fi

id securitycam >/dev/null 2>&1 ||
  act useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin --user-group securitycam
for group in gpio video bluetooth; do
  if getent group "$group" >/dev/null && ! id -nG securitycam 2>/dev/null | grep -qw "$group"; then
    act usermod -aG "$group" securitycam
  fi
done
SERVICE_UID=$(id -u securitycam 2>/dev/null || echo "<uid of securitycam>")
SERVICE_GID=$(id -g securitycam 2>/dev/null || echo "<gid of securitycam>")

if on_pi; then ensure_venv pi; else ensure_venv; fi
# The service's file system is read-only (ProtectSystem=strict): compile the bytecode now, or
# Python compiles every module again at every start.
act "$VENV/bin/python" -m compileall -q securitycam "$VENV/lib"
install_mediamtx "$ARCH"

act mkdir -p "$DATA_DIR/cache" "$DATA_DIR/logs"
act chown -R securitycam:securitycam "$DATA_DIR"
act chmod 700 "$DATA_DIR"
# Earlier versions mounted the segment ring from /etc/fstab; it is a mount unit now.
if grep -q " $DATA_DIR/cache tmpfs " /etc/fstab 2>/dev/null; then
  act sed -i "\\# $DATA_DIR/cache tmpfs #d" /etc/fstab
fi
# The service no longer uses sudo (NoNewPrivileges): polkit allows what it asks.
if [ -f /etc/sudoers.d/securitycam ]; then act rm -f /etc/sudoers.d/securitycam; fi

CACHE_MOUNT=$(systemd-escape -p --suffix=mount "$DATA_DIR/cache")
render systemd/var-lib-securitycam-cache.mount | put_file "$UNIT_DIR/$CACHE_MOUNT" 644
for unit in securitycam.service mediamtx.service securitycam-update.service \
            securitycam-bootnote.path securitycam-bootnote.service; do
  render "systemd/$unit" | put_file "$UNIT_DIR/$unit" 644
done
render systemd/polkit/50-securitycam.rules | put_file /etc/polkit-1/rules.d/50-securitycam.rules 644
render systemd/NetworkManager/securitycam-portal.conf |
  put_file /etc/NetworkManager/dnsmasq-shared.d/securitycam-portal.conf 644

act systemctl daemon-reload
act systemctl enable --now "$CACHE_MOUNT" securitycam-bootnote.path
act systemctl enable securitycam.service
act systemctl restart securitycam.service
if [ -n "$DRY_RUN" ]; then
  echo "dry run: nothing was changed"
else
  echo "securitycam is running on port 5005; on a first start with no network it opens the Wi-Fi" \
       "hotspot written to $BOOT_DIR/securitycam-hotspot.txt; first password: $DATA_DIR/default-password.txt"
fi
