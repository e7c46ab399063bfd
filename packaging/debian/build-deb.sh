#!/bin/sh
# Builds edge-exporter_<version>_<arch>.deb with dpkg-deb from the published binary and rootfs/.
# Called by packaging/release.proj (target DebianPackages), once per architecture:
#   build-deb.sh <arch> <binary> <binary that runs here, for --help> <version> <staging dir> <output dir>
# MAINTAINER and SOURCE_DATE_EPOCH come from the environment: the same commit gives the same .deb.
set -eu

arch=$1
binary=$2
help_binary=$3
version=$4
root=${5%/}/deb-$arch
out=${6%/}
: "${MAINTAINER:?}" "${SOURCE_DATE_EPOCH:?}"
here=$(cd "$(dirname "$0")" && pwd)
rootfs=$here/../../rootfs
doc=$root/usr/share/doc/edge-exporter

rm -rf "$root"
umask 022
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" "$doc" \
	"$root/usr/share/lintian/overrides" "$root/var/lib/edge_exporter/textfile_collector"
cp "$binary" "$root/usr/bin/edge_exporter"
# The unit, sysusers entry, udev rules and the two conffiles, as rootfs/ lays them out.
(cd "$rootfs" && find usr/lib etc -type f) | while read -r file; do
	mkdir -p "$root/$(dirname "$file")"
	cp "$rootfs/$file" "$root/$file"
done
cp "$here/copyright" "$doc/copyright"
cp "$here/lintian-overrides" "$root/usr/share/lintian/overrides/edge-exporter"
cp "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
"$here/manpage.sh" "$help_binary" "$version" "$date" | gzip -9n >"$root/usr/share/man/man1/edge_exporter.1.gz"

# A native package's changelog (Policy 12.7): one entry, this release, dated by its commit.
{
	printf 'edge-exporter (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Release %s, built from the source tree of this date.\n\n' "$version"
	printf ' -- %s  %s\n' "$MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"

(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"

# Policy 5.6.20: an estimate in KiB of the installed files.
size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: edge-exporter
Version: $version
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: adduser | systemd-sysusers | systemd
Section: net
Priority: optional
Description: Prometheus exporter for edge devices and their sensors
 EdgeExporter exports the host metrics of a small Linux machine under
 node_exporter's metric names, and readings of the sensors and meters attached
 to it: I2C environment sensors, 1-Wire thermometers, GPIO inputs and pulse
 counters, Modbus RTU and Modbus TCP energy meters, and NMEA GPS receivers.
 .
 It is one statically linked executable with no run-time dependencies, and it
 runs as an unprivileged, sandboxed systemd service. The package creates the
 edge_exporter system user and the i2c and gpio groups, installs udev rules
 that give those groups the sensor buses, and enables and starts the service.
CONTROL

find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root/usr/bin/edge_exporter" "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
# What dh_md5sums would write: debsums and dpkg --verify check installed files against it.
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/edge-exporter_${version}_$arch.deb"
