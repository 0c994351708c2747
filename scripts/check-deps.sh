#!/usr/bin/env bash
# The domain core, crypto and wire crates do no I/O: fail if their normal
# dependency trees pull in an async runtime, a database driver or HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in wz-core wz-crypto wz-proto; do
  tree=$(cargo tree --locked -p "$crate" -e normal --prefix none)
  for banned in tokio sqlx axum reqwest hyper; do
    if grep -qE "^$banned v" <<<"$tree"; then
      echo "check-deps: $crate depends on $banned" >&2
      status=1
    fi
  done
done
# The demo website is an outside website: none of our crates in its tree.
if cargo tree --locked -p wz-demo-rp -e normal --prefix none | grep -E "^wz-" | grep -qv "^wz-demo-rp v"; then
  echo "check-deps: wz-demo-rp depends on one of our crates" >&2
  status=1
fi
[ $status -eq 0 ] && echo "check-deps: wz-core, wz-crypto and wz-proto are free of I/O crates"
exit $status
