/*
 * `@slca/service-kit/client`: the typed gRPC clients without the server side (no NestJS), for the
 * dashboard's server and anything else that only calls the services.
 */
export {
  backoffDelayMs,
  checkHealth,
  createServiceClient,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_RETRY_POLICY,
  isServiceError,
  type CallOptions,
  type ClientChannel,
  type MethodCall,
  type MethodDefinition,
  type RequestInit,
  type RetryPolicy,
  type ServiceClient,
  type ServiceClientOptions,
  type ServiceDefinition,
  type StreamCallOptions,
} from './client';
export {
  ACTING_ROLE_METADATA_KEY,
  ACTING_USER_METADATA_KEY,
  actingUser,
  actingUserMetadata,
  ActingUserError,
  USER_ROLES,
  type ActingUser,
  type UserRole,
} from './acting-user';
export { callContext, RUN_ID_METADATA_KEY, type CallContext } from './call-context';
export {
  DEFAULT_CALL_DEADLINE_MS,
  evaluatorClient,
  splitterClient,
  statisticsClient,
  trainerClient,
  type EvaluatorClient,
  type SlcaClientOptions,
  type SplitterClient,
  type StatisticsClient,
  type TrainerClient,
} from './slca-clients';
export {
  channelCredentials,
  identityOf,
  readTls,
  serverCredentials,
  TLS_ENV,
  tlsFromEnv,
  type HasAuthContext,
  type TlsMaterial,
  type TlsPaths,
} from './tls/credentials';
export {
  CLIENT_IDENTITIES,
  IDENTITIES,
  isIdentity,
  SERVICE_IDENTITIES,
  type ClientIdentity,
  type Identity,
  type ServiceIdentity,
} from './tls/identities';
