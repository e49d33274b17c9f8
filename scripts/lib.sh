# shellcheck shell=bash
# Shared by the install, run and test scripts: idempotent steps, each a no-op when already done.
VENV="${SECURITYCAM_VENV:-$PWD/.venv}"
# fonts-dejavu-core: the synthetic camera's burned-in clock (ffmpeg drawtext needs a font file).
SYSTEM_PACKAGES=(ffmpeg fonts-dejavu-core mosquitto python3-venv python3-dev gcc git)

# With DRY_RUN set (install.sh --dry-run), every step that would change the machine prints
# "would run: ..." or "would write: ..." instead, and nothing is changed.
act() {
  if [ -n "${DRY_RUN:-}" ]; then printf 'would run: %s\n' "$*"; else "$@"; fi
}

as_root() {
  if [ -n "${DRY_RUN:-}" ]; then act "$@"
  elif [ "$(id -u)" -eq 0 ]; then "$@"
  else sudo "$@"; fi
}

# put_file PATH MODE: write standard input to PATH with MODE, unless PATH already holds exactly that.
put_file() {
  local path="$1" mode="$2" content
  content=$(cat)
  if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then return 0; fi
  if [ -n "${DRY_RUN:-}" ]; then printf 'would write: %s (mode %s)\n' "$path" "$mode"; return 0; fi
  mkdir -p "$(dirname "$path")"
  printf '%s\n' "$content" > "$path.tmp"
  chmod "$mode" "$path.tmp"
  mv -f "$path.tmp" "$path"
}

is_raspberry_pi() {
  grep -qi "raspberry pi" /proc/device-tree/model 2>/dev/null
}

# apt_install [packages...]: install them (nothing to do when none is named).
apt_install() {
  [ $# -gt 0 ] || return 0
  echo "installing system packages: $*"
  as_root apt-get update -qq
  if [ -n "${DRY_RUN:-}" ]; then
    act apt-get install -y "$@"
  else
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
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
    act python3 -m venv "$VENV" || return 1
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
  # Each step says when it fails, also where a caller tests ensure_venv (no set -e inside it then).
  act "$VENV/bin/python" -m pip install --quiet --upgrade pip || return 1
  act "$VENV/bin/python" -m pip install --quiet -e "$spec" || return 1
  act touch "$stamp"
}

# ensure_node: Node.js and npm, to build the dashboard (a Pi that only runs the appliance needs neither).
# Astro 5 needs Node 18.20.8+ or 20.3+ (Debian 13's nodejs, or NodeSource's on Debian 12).
ensure_node() {
  local missing=()
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  apt_install "${missing[@]+"${missing[@]}"}"
}
