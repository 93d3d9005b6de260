#!/usr/bin/env bash
# install-docs.sh - put the API reference into DIR, the directory nginx serves
# at /docs/ and /openapi.yaml (nginx/opengov-dev.conf.in, nginx/opengov.conf):
#
#   DIR/index.html, opengov-docs.js   the page (nginx/docs/ in the repository)
#   DIR/redoc.standalone.js           Redoc, from the pinned npm package in
#                                     tests/contract (scripts/bootstrap.sh)
#   DIR/openapi.yaml                  the contract, byte for byte
#
# Local files only: nothing is fetched from a CDN, by this script or by the
# page. stack.sh runs it on every start; for production:
#   scripts/install-docs.sh /srv/opengov/docs
set -euo pipefail

prog=install-docs.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
(($# == 1)) || {
	echo "usage: $prog DIR" >&2
	exit 2
}
dest=$1
bundle_dir=$ROOT/tests/contract/node_modules/redoc/bundles

mkdir -p "$dest"

# Copy then rename, so that nginx never serves a half-written file.
put() {
	local src=$1 name=$2
	cp "$src" "$dest/.$name.tmp"
	chmod 644 "$dest/.$name.tmp"
	mv -f "$dest/.$name.tmp" "$dest/$name"
}

for f in "$ROOT"/nginx/docs/*; do
	[[ -f $f ]] && put "$f" "$(basename "$f")"
done
put "$ROOT/openapi.yaml" openapi.yaml
if [[ -f $bundle_dir/redoc.standalone.js ]]; then
	put "$bundle_dir/redoc.standalone.js" redoc.standalone.js
	put "$bundle_dir/redoc.standalone.js.LICENSE.txt" redoc.standalone.js.LICENSE.txt
else
	# The page says so too; the API itself does not need it.
	echo "$prog: $bundle_dir/redoc.standalone.js missing (run scripts/bootstrap.sh): /docs will not render" >&2
fi
