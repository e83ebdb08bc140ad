#!/usr/bin/env bash
# Fetches the Debian packages that hold the benchmark's scans (shared/DATA.md) into a git-ignored cache:
# `apt-get download` (no dependencies, nothing installed) + `dpkg-deb -x`. Idempotent and quiet: a
# package whose unpacked folder exists is skipped. MVG_DATA_DIR overrides where packages are unpacked
# (default <repo>/.cache/data/<package>/); the .deb files go to MVG_DEB_DIR (default <repo>/.cache/debs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data_dir="${MVG_DATA_DIR:-$root/.cache/data}"
deb_dir="${MVG_DEB_DIR:-$root/.cache/debs}"

# package -> one file inside it that must exist after unpacking (a cheap integrity check)
declare -A probe=(
  [mricron-data]=usr/share/mricron/templates/aal.nii.txt
  [invesalius-examples]=usr/share/doc/invesalius-examples/examples/Cranium.inv3
  [insighttoolkit5-examples]=usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1RawSkullStrip.nii.gz
  [heudiconv]=usr/lib/python3/dist-packages/heudiconv/tests/data/b0dwiForFmap/b0dwi_for_fmap+00001.dcm
)
order=(mricron-data invesalius-examples insighttoolkit5-examples heudiconv)

mkdir -p "$data_dir" "$deb_dir"
updated=0

download() {  # $1 = package; leaves exactly one ${1}_*.deb in $deb_dir or fails with a message
  local pkg=$1 log
  log=$(mktemp)
  # apt warns when its sandbox user cannot write the target folder; the download still works.
  if ! (cd "$deb_dir" && apt-get download -qq "$pkg") >"$log" 2>&1; then
    if [ "$updated" -eq 0 ] && { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; }; then
      updated=1
      local sudo_cmd=""
      [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
      $sudo_cmd apt-get update -qq >/dev/null 2>&1 || true
      (cd "$deb_dir" && apt-get download -qq "$pkg") >"$log" 2>&1 && { rm -f "$log"; return 0; }
    fi
    echo "fetch_data: cannot download Debian package '$pkg' ($(grep -E '^(E|W):' "$log" | tail -n1))." >&2
    echo "fetch_data: enable a Debian bookworm apt source, or put ${pkg}_*.deb into $deb_dir and rerun." >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

for pkg in "${order[@]}"; do
  dest="$data_dir/$pkg"
  [ -e "$dest/${probe[$pkg]}" ] && continue
  shopt -s nullglob
  debs=("$deb_dir/${pkg}"_*.deb)
  shopt -u nullglob
  if ((${#debs[@]} == 0)); then
    download "$pkg"
    shopt -s nullglob
    debs=("$deb_dir/${pkg}"_*.deb)
    shopt -u nullglob
  fi
  deb="${debs[-1]}"
  # Unpack next to the destination and rename, so an interrupted run never leaves a half folder.
  tmp="$(mktemp -d "$data_dir/.${pkg}.XXXXXX")"
  if ! dpkg-deb -x "$deb" "$tmp"; then
    rm -rf "$tmp"
    echo "fetch_data: '$deb' is not a valid package for '$pkg'; delete it and rerun." >&2
    exit 1
  fi
  if [ ! -e "$tmp/${probe[$pkg]}" ]; then
    rm -rf "$tmp"
    echo "fetch_data: package '$pkg' ($deb) lacks ${probe[$pkg]}; wrong version?" >&2
    exit 1
  fi
  rm -rf "$dest"
  mv "$tmp" "$dest"
  echo "fetch_data: $pkg -> $dest"
done
