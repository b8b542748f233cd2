#!/usr/bin/env bash
# House style: no function in src/ is over 60 lines (a function fits on a
# screen). universal-ctags finds every function and member function defined
# in src/, with the line it starts and ends on; lambdas count within the
# function that holds them. Prints each one over the limit, and fails then.
#   tests/style/function_length.sh [SOURCE_ROOT] [LIMIT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
limit=${2:-60}
command -v ctags > /dev/null || { echo "universal-ctags is missing: apt-get install -y universal-ctags" >&2; exit 1; }
cd "$root"
over=$(ctags --languages=C++ --c++-kinds=f --fields=+ne -o - -R src |
  awk -F'\t' -v limit="$limit" '{
    start = ""; end = ""
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) start = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
    }
    if (start != "" && end != "" && end - start + 1 > limit) printf "%s:%s %s: %d lines\n", $2, start, $1, end - start + 1
  }' | sort)
functions=$(ctags --languages=C++ --c++-kinds=f -o - -R src | wc -l)
if [ -n "$over" ]; then
  echo "functions in src/ over $limit lines:"
  echo "$over"
  exit 1
fi
echo "$functions functions in src/, none over $limit lines"
