#!/usr/bin/env bash
# The container image: packaging/Containerfile's content (FROM scratch, the static binary alone,
# USER 65534:65534, port 9847) for linux/amd64 and linux/arm64 as one multi-platform image index,
# built from artifacts/publish/<rid>/edge_exporter without a container engine, a daemon or user
# namespaces. umoci writes each architecture's image; this script writes the index over both
# (umoci 0.4.7 has no command for a multi-platform index).
#
# Output, both under artifacts/image/:
#   oci/                             an OCI image layout, reference oci:artifacts/image/oci:edge-exporter:<version>
#   edge-exporter-<version>.oci.tar  the same layout as one oci-archive (podman load -i, skopeo copy oci-archive:)
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH (default: the commit time, git log -1 --format=%ct),
# the layer is written by GNU tar with sorted names, uid/gid 0 and fixed modes, and JSON is written
# with sorted keys, so two builds of the same binaries give the same digests.
#
# The layer is tarred here, not by `umoci insert`: umoci 0.4.7's insert never closes its tar writer,
# so the layer lacks the end-of-archive blocks and GNU tar rejects it ("Unexpected EOF in archive";
# umoci issue #436, fixed after 0.4.7 by pull request #534). `umoci raw add-layer` takes our tar as is.
#
# Usage: packaging/scripts/build-image.sh [version] [output-dir]
#   version: default <Version> in Directory.Build.props; output-dir: default artifacts/image
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v umoci >/dev/null || { echo "build-image: umoci is not installed (apt-get install umoci), or build the release with -p:ReleaseImage=false" >&2; exit 1; }

version=${1:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)}
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
revision=$(git rev-parse HEAD)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
name="edge-exporter:$version"
out=${2:-artifacts/image}
layout=$out/oci
staging=$out/staging

rm -rf "$out"
mkdir -p "$staging"
umoci init --layout "$layout"

# rid and the OCI architecture name (the image-spec's values are GOARCH's).
for target in linux-x64:amd64 linux-arm64:arm64; do
  rid=${target%%:*} arch=${target##*:}
  binary=artifacts/publish/$rid/edge_exporter
  [[ -f $binary ]] || { echo "build-image: $binary is missing (dotnet publish src/EdgeExporter -c Release -r $rid)" >&2; exit 1; }

  mkdir -p "$staging/$arch"
  install -m 0755 "$binary" "$staging/$arch/edge_exporter"
  tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --mode=0755 \
      -C "$staging/$arch" -cf "$staging/$arch.tar" edge_exporter

  image="$layout:$arch"
  umoci new --image "$image"
  umoci raw add-layer --image "$image" --history.created "$created" \
      --history.created_by "edge_exporter $version ($rid, static)" "$staging/$arch.tar"
  umoci config --image "$image" --no-history --created "$created" --os linux --architecture "$arch" \
      --config.user 65534:65534 --config.entrypoint /edge_exporter --config.exposedports 9847/tcp \
      --config.label "org.opencontainers.image.title=edge_exporter" \
      --config.label "org.opencontainers.image.description=Prometheus exporter for edge devices: host metrics under node_exporter's names and the device's sensors, one static binary" \
      --config.label "org.opencontainers.image.version=$version" \
      --config.label "org.opencontainers.image.revision=$revision" \
      --config.label "org.opencontainers.image.created=$created"
done
# The per-architecture configs that umoci new wrote (with the wall-clock time) go.
umoci gc --layout "$layout"

# The image index (image-spec image-index.md: manifests with platform {architecture, os}), stored as a
# blob and tagged in the layout's index.json, as buildah's and skopeo's multi-platform copies store one.
python3 - "$layout" "$name" <<'PY'
import hashlib, json, os, sys
layout, name = sys.argv[1], sys.argv[2]
def dump(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
with open(os.path.join(layout, "index.json")) as f:
    tagged = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in json.load(f)["manifests"]}
manifests = []
for arch in ("amd64", "arm64"):
    m = tagged[arch]
    manifests.append({"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
                      "platform": {"architecture": arch, "os": "linux"}})
index = dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
digest = hashlib.sha256(index).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
    f.write(index)
top = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
       "digest": "sha256:" + digest, "size": len(index), "annotations": {"org.opencontainers.image.ref.name": name}}]}
with open(os.path.join(layout, "index.json"), "wb") as f:
    f.write(dump(top))
PY

# umoci writes blobs as 0600; an image is no secret, and podman or skopeo without root must read it.
chmod -R u=rwX,go=rX "$layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --mode=u=rwX,go=rX \
    -C "$layout" -cf "$out/edge-exporter-$version.oci.tar" oci-layout index.json blobs
rm -rf "$staging"
echo "build-image: $name (linux/amd64, linux/arm64) in $layout and $out/edge-exporter-$version.oci.tar"
