#!/usr/bin/env bash
# Fails when restoring the repository prints NU1603 (a dependency asks for a minimum version the feed lacks and a newer
# one is resolved): a fresh clone's first build must be warning-free. Fix: reference the package with the resolved
# version directly (see Directory.Packages.props).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet restore "$root/TransferLearning.sln" --force -warnaserror:NU1603 >"$log" 2>&1
status=$?
set -e
if grep -q "NU1603" "$log"; then
  grep "NU1603" "$log" | sed 's/^ *//' | sort -u >&2
  echo "restore: NU1603 is back (see above); reference the resolved version directly in the project and Directory.Packages.props." >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  cat "$log" >&2
  exit "$status"
fi
echo "restore: no NU1603"
