#!/usr/bin/env bash
# Fails when one of flared's layers uses a layer it must not know. Two checks, both run by
# the flare_layers build target (daemon/CMakeLists.txt):
#   scripts/check-layers.sh <path to libflare_*.a> ...   compiled calls
#   scripts/check-layers.sh --includes <daemon source dir>   #include lines
# Each layer may use the layers ALLOWED lists for it, and itself.
# - Calls: every symbol a layer's objects need and do not define is looked up among the
#   other layers' definitions; when only a layer outside the allowed list defines it, that
#   is a back-edge. Inline functions compiled into their user are not seen here...
# - ...which is why the includes are checked too: a file of a layer's directory may include
#   headers of the allowed layers' directories only. The one exception is
#   store/records.h, the typed records every layer speaks in (the storage port's values).
# - The layers above store/ (service, engines, api) may include only the storage port of
#   store/ (its interfaces and transaction types), and no database client header.
set -euo pipefail

declare -A ALLOWED=(
  [flare_log]=""
  [flare_pg]="flare_log"
  [flare_store]="flare_pg flare_log"
  [flare_pgstore]="flare_pg flare_store flare_log"
  [flare_transport]="flare_log"
  [flare_service]="flare_store flare_transport flare_log"
  [flare_engines]="flare_service flare_transport flare_log"
  [flare_api]="flare_engines flare_service flare_log"
  [flare_daemon]="flare_api flare_engines flare_service flare_transport flare_store flare_pgstore flare_pg flare_log"
)

# The library each directory of daemon/ builds (the top directory builds flare_daemon). A
# subdirectory listed here is a layer of its own (store/pg and store/postgres are not part
# of store).
declare -A LAYER_OF_DIR=(
  [store]=flare_store [store/pg]=flare_pg [store/postgres]=flare_pgstore [transport]=flare_transport [service]=flare_service
  [engines]=flare_engines [api]=flare_api
)

check_includes() {
  local root=$1 status=0 file dir layer line target target_layer
  for dir in "${!LAYER_OF_DIR[@]}"; do
    layer=${LAYER_OF_DIR[$dir]}
    while IFS= read -r line; do
      file=${line%%:*}
      target=${line#*\#include \"daemon/}
      target=${target%%\"*}
      [ "$target" = "store/records.h" ] && continue
      # A header's layer is that of its own directory when that is listed (store/pg/x.h),
      # else that of its first component (store/x.h).
      case "$target" in
        */*) target_layer=${LAYER_OF_DIR[${target%/*}]:-${LAYER_OF_DIR[${target%%/*}]:-flare_daemon}} ;;
        log.h) target_layer=flare_log ;;
        *) target_layer=flare_daemon ;;
      esac
      [ "$target_layer" = "$layer" ] && continue
      if [[ " ${ALLOWED[$layer]} " != *" $target_layer "* ]]; then
        echo "check-layers: ${file#"$root"/} ($layer) includes daemon/$target ($target_layer)" >&2
        status=1
      fi
    done < <(grep -H '^#include "daemon/' "$root/$dir"/*.h "$root/$dir"/*.cc 2>/dev/null)
  done
  return "$status"
}

# Above store/ the database is reached through the storage port only: the store interfaces
# and the transaction types, never a backend's headers or a database client's.
PORT_HEADER='^store/(records|stores|[a-z_]+_store|tx|transactions|readers)\.h$'

# Reads "file:#include …" lines and prints "file<TAB>header" for each include that goes
# behind the port: a store/ header outside it, or a database client's header.
includes_behind_port() {
  local line file target
  while IFS= read -r line; do
    file=${line%%:*}
    target=${line#*\#include }
    case "$target" in
      '"daemon/store/'*)
        target=${target#\"daemon/}
        target=${target%%\"*}
        [[ "$target" =~ $PORT_HEADER ]] && continue ;;
      '<SQLiteCpp/'* | '<sqlite3.h>'* | '<libpq-fe.h>'*) ;;
      *) continue ;;
    esac
    printf '%s\t%s\n' "$file" "$target"
  done
}

check_port_includes() {
  local root=$1 status=0 file target port_headers=()
  while IFS=$'\t' read -r file target; do
    echo "check-layers: ${file#"$root"/} includes $target, behind the storage port: use the" \
      "store interfaces (daemon/store/stores.h, *_store.h, tx.h, transactions.h, readers.h)" >&2
    status=1
  done < <(grep -H '^#include ' "$root"/{service,engines,api}/*.{h,cc} 2>/dev/null |
    includes_behind_port)
  # The port's own headers, which those layers include, hold to the same rule.
  for file in "$root"/store/*.h; do
    [[ "store/${file##*/}" =~ $PORT_HEADER ]] && port_headers+=("$file")
  done
  while IFS=$'\t' read -r file target; do
    echo "check-layers: ${file#"$root"/} is a storage port header but includes $target" >&2
    status=1
  done < <(grep -H '^#include ' "${port_headers[@]}" | includes_behind_port)
  return "$status"
}

if [ "${1:-}" = "--includes" ]; then
  status=0
  check_includes "$2" || status=1
  check_port_includes "$2" || status=1
  exit "$status"
fi

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
