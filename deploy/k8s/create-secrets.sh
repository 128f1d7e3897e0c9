#!/usr/bin/env bash
# Creates the Secrets the manifests reference, with fresh random values, in the cluster kubectl points at.
# Nothing secret is stored in git or in the rendered manifests; existing Secrets are left as they are
# (delete one to rotate it, then re-run this and the minio-setup Job).
#
#   deploy/k8s/create-secrets.sh --certs DIR [--namespace slca] [--dashboard-user admin] [--print]
#
# --certs DIR: the platform's CA and a certificate per identity, made (or reused) beforehand with
#   npm run slca -- certs --out DIR --namespace slca
# (keep DIR, the CA key above all, somewhere safe). Each identity gets a Secret slca-tls-<identity> of type
# kubernetes.io/tls with ca.crt, tls.crt and tls.key, as cert-manager would write it (see deploy/README.md).
# SLCA_CERTS_DIR is the same as --certs.
#
# --print writes the Secrets as YAML to stdout instead of applying them (for inspection or a sealed-secrets
# pipeline); it needs no cluster.
set -euo pipefail

namespace=slca
dashboard_user=admin
print=false
certs="${SLCA_CERTS_DIR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --dashboard-user) dashboard_user="$2"; shift 2 ;;
    --print) print=true; shift ;;
    --certs) certs="$2"; shift 2 ;;
    *) echo "usage: $0 --certs DIR [--namespace NS] [--dashboard-user NAME] [--print]" >&2; exit 2 ;;
  esac
done

identities="splitter trainer stats-store evaluator dashboard cli operator job"
if [ -z "$certs" ] || [ ! -f "$certs/ca.pem" ]; then
  echo "no certificates: make them with  npm run slca -- certs --out DIR --namespace $namespace  and pass --certs DIR" >&2
  exit 2
fi
for identity in $identities; do
  for file in "$certs/$identity.pem" "$certs/$identity.key"; do
    [ -r "$file" ] || { echo "$file is missing or unreadable (re-run slca certs --out $certs)" >&2; exit 2; }
  done
done

# Letters and digits only (safe in env values and MinIO keys), from the kernel's CSPRNG.
random() {
  local s=''
  while [ "${#s}" -lt "$1" ]; do s+=$(head -c 64 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9'); done
  printf '%s' "${s:0:$1}"
}

secret() {
  local name="$1"; shift
  if ! $print && kubectl -n "$namespace" get secret "$name" >/dev/null 2>&1; then
    echo "secret $name exists; kept" >&2
    return
  fi
  local yaml
  yaml=$(kubectl create secret generic "$name" --namespace "$namespace" "$@" --dry-run=client -o yaml)
  if $print; then
    printf -- '---\n%s\n' "$yaml"
  else
    printf '%s\n' "$yaml" | kubectl apply -f - >/dev/null
    echo "secret $name created" >&2
  fi
}

if ! $print; then
  kubectl get namespace "$namespace" >/dev/null 2>&1 || kubectl create namespace "$namespace" >/dev/null
fi

secret slca-minio-root \
  --from-literal=MINIO_ROOT_USER="root-$(random 12)" \
  --from-literal=MINIO_ROOT_PASSWORD="$(random 40)"

# One MinIO user per service (created by the minio-setup Job); run Jobs use the trainer's. MinIO access
# keys are at most 20 characters.
for service in splitter trainer stats-store evaluator dashboard; do
  secret "slca-s3-$service" \
    --from-literal=SLCA_S3_ACCESS_KEY="$service-$(random 8)" \
    --from-literal=SLCA_S3_SECRET_KEY="$(random 40)"
done

# Every identity's certificate for mutual TLS between the services (only the CA's certificate, never its
# key, leaves the folder).
for identity in $identities; do
  secret "slca-tls-$identity" --type=kubernetes.io/tls \
    --from-file=ca.crt="$certs/ca.pem" \
    --from-file=tls.crt="$certs/$identity.pem" \
    --from-file=tls.key="$certs/$identity.key"
done

password=$(random 24)
secret slca-dashboard \
  --from-literal=SLCA_DASHBOARD_USER="$dashboard_user" \
  --from-literal=SLCA_DASHBOARD_PASSWORD="$password" \
  --from-literal=SLCA_DASHBOARD_SESSION_SECRET="$(random 64)"
if ! $print; then
  echo "dashboard sign-in: user $dashboard_user; password: kubectl -n $namespace get secret slca-dashboard -o jsonpath='{.data.SLCA_DASHBOARD_PASSWORD}' | base64 -d" >&2
fi
