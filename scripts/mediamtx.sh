# shellcheck shell=bash
# MediaMTX for install.sh (sourced after lib.sh, whose act it uses): the release archive for the
# board's Debian architecture, with its SHA-256 from the release's checksums.sha256; a download
# that does not match is refused. MEDIAMTX_BIN is where the binary goes (/usr/local/bin/mediamtx,
# where the units and the appliance look).
MEDIAMTX_VERSION=v1.9.3
declare -A MEDIAMTX_ASSET=([arm64]=linux_arm64v8 [armhf]=linux_armv7 [amd64]=linux_amd64)
declare -A MEDIAMTX_SHA256=(
  [arm64]=f2f02109dd3d88773d7de5ae84385d41041bc9d60d0459eb6c61462cb2da0d1e
  [armhf]=387a84bf47a0c3066d0159f84c8b9ea1da73a0233b4fc67f22731bc8001a6f74
  [amd64]=0b885dbfa4ef9c14cd00191c57d90d804255ff50403a28b85ceee7988c535b60
)

# install_mediamtx ARCH: download, check, unpack and install it (a no-op when that version is there).
install_mediamtx() {
  local arch="$1" target="${MEDIAMTX_BIN:-/usr/local/bin/mediamtx}"
  local asset="${MEDIAMTX_ASSET[$arch]:-}" sum="${MEDIAMTX_SHA256[$arch]:-}"
  if [ -z "$asset" ]; then
    echo "no MediaMTX release for $arch: the appliance records from its sources directly"
    return 0
  fi
  if [ "$("$target" --version 2>/dev/null)" = "$MEDIAMTX_VERSION" ]; then
    return 0
  fi
  local archive="mediamtx_${MEDIAMTX_VERSION}_${asset}.tar.gz" work
  work=$(mktemp -d)
  # shellcheck disable=SC2064  # expand $work now: it is local
  trap "rm -rf '$work'" RETURN
  act curl -fsSL --retry 3 -o "$work/$archive" \
    "https://github.com/bluenviron/mediamtx/releases/download/$MEDIAMTX_VERSION/$archive"
  if [ -n "${DRY_RUN:-}" ]; then
    echo "would run: sha256sum --check ($sum  $work/$archive)"
  else
    echo "$sum  $work/$archive" | sha256sum --check --quiet ||
      { echo "MediaMTX download does not match its pinned checksum: refused" >&2; return 1; }
  fi
  act tar -xzf "$work/$archive" -C "$work" mediamtx
  act install -m 0755 "$work/mediamtx" "$target"
}
