#!/usr/bin/env bash
# The domain core, crypto, wire and speech crates stay free of I/O stacks:
# fail if their normal dependency trees pull in an async runtime, a
# database driver or HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for crate in wz-core wz-crypto wz-proto wz-speech; do
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
# The service hall talks to the platform only over its public interfaces:
# of our crates it may use the domain and crypto libraries, the HTTP
# client SDK and the demo website's OpenID Connect client, never the
# platform's store, services or server.
if cargo tree --locked -p wz-hall -e normal --prefix none | grep -E "^wz-" | grep -qvE "^wz-(hall|core|crypto|client|proto|demo-rp) v"; then
  echo "check-deps: wz-hall depends on a platform crate other than wz-core, wz-crypto, wz-client, wz-proto and wz-demo-rp" >&2
  status=1
fi
[ $status -eq 0 ] && echo "check-deps: wz-core, wz-crypto, wz-proto and wz-speech pull in no async runtime, database driver or HTTP; wz-demo-rp uses none of our crates; wz-hall no platform internals"
exit $status
