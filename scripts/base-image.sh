#!/usr/bin/env bash
# Prints the name of a Debian 12 (bookworm) image the engine ENGINE has, for image.sh and fresh-check.sh:
#   scripts/base-image.sh slim   debian:12-slim, for runtime images
#   scripts/base-image.sh full   debian:12, for builds and the fresh-machine check
# from a registry when one answers; otherwise an image made once from Debian's archive with mmdebstrap
# (minbase, merged /usr, trimmed as debian:12-slim is: no manuals, docs or translations; copyrights kept), kept in
# build/images/ and imported as localhost/tcp-sniffer-debian:bookworm. It serves both kinds: minbase is
# what debian:12 holds too, less the manuals.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${ENGINE:?ENGINE=docker|podman}
case "${1:-}" in
  slim) wanted=docker.io/library/debian:12-slim ;;
  full) wanted=docker.io/library/debian:12 ;;
  *) echo "usage: base-image.sh slim|full" >&2; exit 1 ;;
esac

have() { "$engine" image inspect "$1" >/dev/null 2>&1; }
if have "$wanted" || timeout 300 "$engine" pull -q "$wanted" >/dev/null 2>&1; then
  echo "$wanted"; exit 0
fi

local_base=localhost/tcp-sniffer-debian:bookworm
if ! have "$local_base"; then
  tar=build/images/debian-bookworm-minbase.tar
  mkdir -p build/images
  # Serialised: the image tests build from two processes at once.
  exec 9>build/images/.lock
  flock 9
  if [ ! -s "$tar" ]; then
    echo "base-image: no registry answers; making a Debian 12 base from Debian's archive (mmdebstrap)" >&2
    # merged /usr by directory symlinks, as debootstrap (and so debian:12) does: the usrmerge package
    # would pull perl into the image.
    mmdebstrap --variant=minbase --format=tar --quiet --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --aptopt='Acquire::Languages "none"' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/apt/* "$1"/var/log/dpkg.log' \
      bookworm "$tar.part" http://deb.debian.org/debian
    mv "$tar.part" "$tar"
  fi
  have "$local_base" || "$engine" import --change 'CMD ["bash"]' "$tar" "$local_base" >/dev/null
fi
echo "$local_base"
