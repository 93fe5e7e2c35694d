#!/usr/bin/env bash
# A stand-in for the official python:3.11.14-slim-bookworm image, built from
# Debian's own packages where no image registry can be reached (CI here):
# bookworm (minbase) with python3 and python3-venv, bookworm-security's
# updates applied (Debian's python3.11 3.11.2-6+deb12u4 and later carries the
# fix for CVE-2024-7592 that the Dockerfile checks for), a `python` link, and
# this machine's CA bundle so that pip reaches the package index through
# whatever TLS-inspecting proxy the machine trusts. About 100 s.
#
# Usage: deploy/build_python_base.sh [TAG]   (default petition-ci/python-base)
# Then: docker build --build-arg PYTHON_IMAGE=TAG .
# Needs root, debootstrap and a running Docker engine. Never tagged as the
# official image, so no other build on the host takes it for one. The
# official image is used (under TAG) where a registry answers. Does nothing
# when TAG is already there: the build is from packages, and the Dockerfile
# checks the cookie fix on whatever base it gets.
set -euo pipefail

tag=${1:-petition-ci/python-base}
official=python:3.11.14-slim-bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag: already present, kept"
  exit 0
fi
if docker pull -q "$official" >/dev/null 2>&1; then
  docker tag "$official" "$tag"
  echo "$tag: $official, pulled from the registry"
  exit 0
fi

root=$(mktemp -d /var/tmp/python-base.XXXXXX)
cleanup() { rm -rf "$root"; }
trap cleanup EXIT

started=$(date +%s)
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
  tail -n 30 "$root.debootstrap.log"
  rm -f "$root.debootstrap.log"
  exit 1
}
rm -f "$root.debootstrap.log"

cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
# The security updates (python3.11 among them), then no package lists or
# caches left in the image.
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get upgrade -y -qq && apt-get clean && rm -rf /var/lib/apt/lists/*' \
  >"$root.upgrade.log" 2>&1 || {
  tail -n 30 "$root.upgrade.log"
  rm -f "$root.upgrade.log"
  exit 1
}
rm -f "$root.upgrade.log"
ln -sf python3 "$root/usr/bin/python"
cp "$ca_bundle" "$root/etc/ssl/certs/ca-certificates.crt"

# As the official image: no .pyc written by accident, a UTF-8 locale.
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python3"]' \
  - "$tag" >/dev/null
docker run --rm "$tag" python -c 'import sys, http.cookies as c; print(sys.version.split()[0], "cookie fix:", hasattr(c, "_unquote_sub"))'
echo "$tag: built from Debian's packages in $(($(date +%s) - started)) s"
