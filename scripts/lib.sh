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

# ensure_system_packages [more...]: the packages every machine needs, plus any named.
ensure_system_packages() {
  local missing=()
  for pkg in "${SYSTEM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ensure_venv [extra]: a virtualenv with this package installed editable (and the extra, if given).
ensure_venv() {
  local extra="${1:-}" spec="."
  [ -n "$extra" ] && spec=".[$extra]"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-${extra:-base}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$spec"
    touch "$stamp"
  fi
}
