#!/usr/bin/env bash
# Installs the npm-based test tools into $ROOT/.cache/node (gitignored), idempotently:
#   - Prism (the OpenAPI mock server), at $ROOT/.cache/node/node_modules/.bin/prism
#   - Twilio's own OpenAPI description of the 2010 REST API, at
#     $ROOT/.cache/node/twilio-oai/spec/json/twilio_api_v2010.json
# Only the npm registry is contacted. The Twilio spec is taken from the published
# @twilio-alpha/mcp tarball with `npm pack` (1.2 MB) instead of `npm install` (which would pull
# the MCP server's whole dependency tree just for one JSON file).
set -euo pipefail

PRISM_VERSION="5.16.0"
TWILIO_MCP_VERSION="0.7.0"
SPEC_IN_PACKAGE="twilio-oai/spec/json/twilio_api_v2010.json"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/.cache/node"
export SCARF_ANALYTICS=false
# Keep npm quiet and from phoning anything but the registry.
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

command -v npm >/dev/null || { echo "install-test-tools: npm is required (apt-get install -y nodejs npm)" >&2; exit 1; }

mkdir -p "$NODE_DIR"

# --- Prism -------------------------------------------------------------------
prism_pkg="$NODE_DIR/node_modules/@stoplight/prism-cli/package.json"
installed_prism=""
if [[ -f "$prism_pkg" && -x "$NODE_DIR/node_modules/.bin/prism" ]]; then
  installed_prism="$(node -p "require(process.argv[1]).version" "$prism_pkg")"
fi
if [[ "$installed_prism" == "$PRISM_VERSION" ]]; then
  echo "install-test-tools: prism $PRISM_VERSION already installed"
else
  echo "install-test-tools: installing @stoplight/prism-cli@$PRISM_VERSION into $NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-save --no-package-lock --loglevel=error \
    "@stoplight/prism-cli@$PRISM_VERSION"
fi

# --- Twilio OpenAPI spec -------------------------------------------------------
spec="$NODE_DIR/$SPEC_IN_PACKAGE"
marker="$NODE_DIR/twilio-oai/.version"
if [[ -s "$spec" && -f "$marker" && "$(cat "$marker")" == "$TWILIO_MCP_VERSION" ]]; then
  echo "install-test-tools: Twilio spec from @twilio-alpha/mcp@$TWILIO_MCP_VERSION already present"
else
  echo "install-test-tools: extracting $SPEC_IN_PACKAGE from @twilio-alpha/mcp@$TWILIO_MCP_VERSION"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  tarball="$(cd "$tmp" && npm pack --silent "@twilio-alpha/mcp@$TWILIO_MCP_VERSION")"
  tar -xzf "$tmp/$tarball" -C "$tmp" "package/$SPEC_IN_PACKAGE"
  mkdir -p "$(dirname "$spec")"
  mv -f "$tmp/package/$SPEC_IN_PACKAGE" "$spec"
  echo "$TWILIO_MCP_VERSION" >"$marker"
fi

"$NODE_DIR/node_modules/.bin/prism" --version >/dev/null
echo "install-test-tools: prism at $NODE_DIR/node_modules/.bin/prism"
echo "install-test-tools: spec at $spec"
