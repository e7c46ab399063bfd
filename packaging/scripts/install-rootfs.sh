#!/bin/sh
# Installs EdgeExporter into an appliance's target tree: the static binary as /usr/bin/edge_exporter
# and rootfs/ (the unit, the sysusers entry, the udev rules, /etc/default/edge_exporter and the
# config), the textfile directory, and the unit enabled for multi-user.target, as
# `systemctl --root=DESTDIR enable` would link it. The files and modes are the Debian package's
# (packaging/debian/build-deb.sh), so an image and a host run the same unit.
#
# Usage: packaging/scripts/install-rootfs.sh DESTDIR [amd64|arm64|BINARY]
#   DESTDIR  the target tree (Buildroot's $TARGET_DIR, Yocto's ${D}, pi-gen's ${ROOTFS_DIR})
#   amd64, arm64 (default amd64): the binary from artifacts/publish/linux-x64 or linux-arm64
#   BINARY   a path to an edge_exporter binary instead (e.g. one from a release archive)
# NO_ENABLE=1 leaves the wants link out, for build systems that enable units themselves (Yocto's
# systemd class, from SYSTEMD_SERVICE).
#
# A file under etc/ that DESTDIR already holds is kept: an overlay of the board's own config, put
# in before, wins, as dpkg keeps an edited conffile. Everything else is replaced.
#
# The edge_exporter user and the i2c and gpio groups do not exist in the tree yet: systemd-sysusers
# makes them from usr/lib/sysusers.d/edge_exporter.conf at first boot (systemd-sysusers.service), or
# at build time with `systemd-sysusers --root=DESTDIR`. Hence the textfile directory is root's, mode
# 0755: the exporter only reads it, and the scripts that fill it run as root on an appliance.
set -eu

usage="usage: $0 DESTDIR [amd64|arm64|BINARY]"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "$usage" >&2; exit 2; }
dest=${1%/}
[ -n "$dest" ] || { echo "install-rootfs: DESTDIR is empty; give the target tree, e.g. \"\$TARGET_DIR\"" >&2; exit 2; }
here=$(cd "$(dirname "$0")/../.." && pwd)
case ${2:-amd64} in
amd64) binary=$here/artifacts/publish/linux-x64/edge_exporter ;;
arm64) binary=$here/artifacts/publish/linux-arm64/edge_exporter ;;
*) binary=$2 ;;
esac
[ -f "$binary" ] || {
	echo "install-rootfs: $binary is missing: publish it first (dotnet publish src/EdgeExporter -c Release -r linux-x64 or linux-arm64, or dotnet msbuild packaging/release.proj -restore), or give the path of a binary" >&2
	exit 1
}
[ -d "$dest" ] || { echo "install-rootfs: $dest is not a directory: create the target tree first" >&2; exit 1; }

install -d -m 0755 "$dest/usr/bin"
install -m 0755 "$binary" "$dest/usr/bin/edge_exporter"

# rootfs/ holds regular files only; directories get 0755, files 0644, as in the .deb.
(cd "$here/rootfs" && find . -type f | LC_ALL=C sort) | while read -r file; do
	file=${file#./}
	case $file in
	etc/*) [ -e "$dest/$file" ] && { echo "install-rootfs: keeping $dest/$file"; continue; } ;;
	esac
	install -d -m 0755 "$dest/$(dirname "$file")"
	install -m 0644 "$here/rootfs/$file" "$dest/$file"
done

# The unit's --collector.textfile.directory.
install -d -m 0755 "$dest/var/lib/edge_exporter/textfile_collector"

if [ "${NO_ENABLE:-0}" != 1 ]; then
	install -d -m 0755 "$dest/etc/systemd/system/multi-user.target.wants"
	ln -sfn /usr/lib/systemd/system/edge_exporter.service "$dest/etc/systemd/system/multi-user.target.wants/edge_exporter.service"
fi
echo "install-rootfs: edge_exporter ($binary) and rootfs/ installed into $dest"
