#!/bin/sh
# Run by the minio-setup Job (image minio/mc). Root credentials in MINIO_ROOT_USER/MINIO_ROOT_PASSWORD,
# each service's keys in /keys/<service>/{access-key,secret-key}. Never prints a secret.
set -eu
until mc alias set slca "$MINIO_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  echo "waiting for MinIO at $MINIO_URL"
  sleep 3
done
mc mb --ignore-existing "slca/$SLCA_BUCKET"
mc anonymous set none "slca/$SLCA_BUCKET"
sed "s/BUCKET/$SLCA_BUCKET/g" /setup/policy-readwrite.json >/tmp/policy-readwrite.json
sed "s/BUCKET/$SLCA_BUCKET/g" /setup/policy-readonly.json >/tmp/policy-readonly.json
mc admin policy create slca slca-readwrite /tmp/policy-readwrite.json
mc admin policy create slca slca-readonly /tmp/policy-readonly.json
for service in splitter trainer stats-store evaluator dashboard; do
  policy=slca-readwrite
  [ "$service" = dashboard ] && policy=slca-readonly
  access_key=$(cat "/keys/$service/access-key")
  mc admin user add slca "$access_key" "$(cat "/keys/$service/secret-key")" >/dev/null
  mc admin policy attach slca "$policy" --user "$access_key" >/dev/null 2>&1 ||
    mc admin user info slca "$access_key" | grep -q "$policy"
  echo "user for $service: policy $policy"
done
echo "bucket $SLCA_BUCKET ready; anonymous access: $(mc anonymous get "slca/$SLCA_BUCKET")"
