#!/usr/bin/env bash
# Fails when one of flared's layer libraries calls into a layer it must not know.
#   scripts/check-layers.sh <path to libflare_*.a> ...   (daemon/CMakeLists.txt runs it)
# Each layer may use the layers ALLOWED lists for it, and itself. The check reads symbols:
# every symbol a layer's objects need and do not define is looked up among the other layers'
# definitions; when only a layer outside the allowed list defines it, that is a back-edge.
# Inline functions defined in headers are compiled into their user, so including a header
# of a layer above is not caught here, only calling its compiled code.
set -euo pipefail

declare -A ALLOWED=(
  [flare_log]=""
  [flare_store]="flare_log"
  [flare_transport]="flare_log"
  [flare_service]="flare_store flare_transport flare_log"
  [flare_engines]="flare_service flare_transport flare_log"
  [flare_api]="flare_engines flare_service flare_log"
  [flare_daemon]="flare_api flare_engines flare_service flare_transport flare_store flare_log"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

layer_of() {
  local name
  name=$(basename "$1" .a)
  echo "${name#lib}"
}

# defined: "<symbol> <layer>" for every global symbol a layer defines (strong or weak).
for lib in "$@"; do
  layer=$(layer_of "$lib")
  [ -n "${ALLOWED[$layer]+set}" ] || { echo "check-layers: unknown layer $layer" >&2; exit 2; }
  nm -g -P --defined-only "$lib" 2>/dev/null |
    awk -v layer="$layer" 'NF >= 2 && $1 !~ /:$/ { print $1, layer }'
done | sort -u >"$work/defined"

status=0
for lib in "$@"; do
  layer=$(layer_of "$lib")
  allowed=" $layer ${ALLOWED[$layer]} "
  nm -g -P -u "$lib" 2>/dev/null | awk 'NF >= 2 && $1 !~ /:$/ { print $1 }' | sort -u >"$work/needed"
  # A symbol is fine when the layer itself or an allowed layer defines it, or no layer does.
  violations=$(awk -v allowed="$allowed" '
      NR == FNR { needed[$1] = 1; next }
      ($1 in needed) {
        if (index(allowed, " " $2 " ")) ok[$1] = 1; else by[$1] = by[$1] " " $2
      }
      END { for (s in by) if (!(s in ok)) print s "\t" by[s] }' "$work/needed" "$work/defined")
  if [ -n "$violations" ]; then
    status=1
    echo "check-layers: $layer calls into a layer it must not use (allowed: ${ALLOWED[$layer]:-none}):" >&2
    while IFS=$'\t' read -r symbol owners; do
      echo "  $(echo "$symbol" | c++filt)  (defined in:$owners)" >&2
    done <<<"$violations"
  fi
done
exit "$status"
