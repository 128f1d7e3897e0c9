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
# One policy per service (policy-<service>.json): each reads the bucket and writes only the prefixes of
# the object layout it owns (the splitter datasets/, splits/, backbones/; the trainer its runs' records,
# checkpoints, models, history and logs; ...). Run Jobs use the trainer's keys and policy.
for service in splitter trainer stats-store evaluator dashboard; do
  policy="slca-$service"
  sed "s/BUCKET/$SLCA_BUCKET/g" "/setup/policy-$service.json" >"/tmp/policy-$service.json"
  mc admin policy create slca "$policy" "/tmp/policy-$service.json"
  access_key=$(cat "/keys/$service/access-key")
  mc admin user add slca "$access_key" "$(cat "/keys/$service/secret-key")" >/dev/null
  # Detach the broad policies of earlier versions, if attached.
  for old in slca-readwrite slca-readonly; do
    mc admin policy detach slca "$old" --user "$access_key" >/dev/null 2>&1 || true
  done
  mc admin policy attach slca "$policy" --user "$access_key" >/dev/null 2>&1 ||
    mc admin user info slca "$access_key" | grep -q "$policy"
  echo "user for $service: policy $policy"
done
echo "bucket $SLCA_BUCKET ready; anonymous access: $(mc anonymous get "slca/$SLCA_BUCKET")"
