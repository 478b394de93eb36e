#!/usr/bin/env bash
# System packages the test suite uses (git is always needed; the image tests add a registry and skopeo).
# Idempotent and quiet; a no-op when everything is present.
set -euo pipefail
need=()
command -v git >/dev/null 2>&1 || need+=(git)
# image tests: a real Docker registry (CNCF distribution), skopeo, and htpasswd -B for basic auth
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
# migrate/sweep report tests: headless Chromium opens the HTML reports
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1
  else
    echo "please install: ${need[*]}" >&2
    exit 1
  fi
fi
