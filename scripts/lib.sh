# Shared by the install, run and test scripts: idempotent steps, each a no-op when already done.
VENV="${SECURITYCAM_VENV:-$PWD/.venv}"
# fonts-dejavu-core: the synthetic camera's burned-in clock (ffmpeg drawtext needs a font file).
SYSTEM_PACKAGES=(ffmpeg fonts-dejavu-core mosquitto python3-venv python3-dev gcc git)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

is_raspberry_pi() {
  grep -qi "raspberry pi" /proc/device-tree/model 2>/dev/null
}

# apt_install [packages...]: install them (nothing to do when none is named).
apt_install() {
  [ $# -gt 0 ] || return 0
  echo "installing system packages: $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ensure_system_packages [more...]: the packages every machine needs, plus any named.
ensure_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  apt_install "${missing[@]+"${missing[@]}"}"
}

# ensure_venv [extra]: a virtualenv with this package installed editable (and the extra, if given).
# A stamp per extra, newer than pyproject.toml, says it is done; every extra installs the package
# itself, so any stamp satisfies the plain install (run.sh after test.sh installs nothing).
ensure_venv() {
  local extra="${1:-}" spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "creating the virtualenv $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-${extra:-base}" done_stamp
  local satisfying=("$stamp")
  [ -z "$extra" ] && satisfying=("$VENV"/.installed-*)
  for done_stamp in "${satisfying[@]}"; do
    if [ -f "$done_stamp" ] && ! [ pyproject.toml -nt "$done_stamp" ]; then
      return 0
    fi
  done
  echo "installing securitycam${extra:+[$extra]} into $VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e "$spec"
  touch "$stamp"
}

# ensure_node: Node.js and npm, to build the dashboard (a Pi that only runs the appliance needs neither).
# Astro 5 needs Node 18.20.8+ or 20.3+ (Debian 13's nodejs, or NodeSource's on Debian 12).
ensure_node() {
  local missing=()
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  apt_install "${missing[@]+"${missing[@]}"}"
}
