#!/usr/bin/env bash
# Fails, listing them, when tracked *.cc/*.h files differ from .clang-format. The expected
# output depends on the clang-format version: CI uses Debian bookworm's (14).
# Fix a file with: clang-format -i <file>
set -euo pipefail
cd "$(dirname "$0")/.."
format=${CLANG_FORMAT:-clang-format}
echo "$("$format" --version)"
mapfile -t files < <(git ls-files '*.cc' '*.h')
# One process for all files; each difference is reported as "<file>:<line>:<col>: error: …".
mapfile -t unformatted < <("$format" --dry-run --Werror "${files[@]}" 2>&1 |
  sed -nE 's/^(.+):[0-9]+:[0-9]+: (error|warning): .*/\1/p' | sort -u)
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "${#unformatted[@]} of ${#files[@]} files differ from .clang-format (clang-format -i FILE):"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "all ${#files[@]} files match .clang-format"
