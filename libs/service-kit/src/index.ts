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
export {
  ConfigError,
  describeConfig,
  env,
  EnvVariable,
  loadConfig,
  REDACTED,
  secretValues,
  type ConfigOf,
  type ConfigProblem,
  type ConfigSchema,
} from './config';
export {
  alreadyExists,
  callPath,
  dataLoss,
  failedPrecondition,
  GrpcExceptionFilter,
  INVALID_FIELD_METADATA_KEY,
  invalidArgument,
  LIBRARY_ERROR_CODES,
  notFound,
  permissionDenied,
  toGrpcStatus,
  unavailable,
  type GrpcErrorStatus,
} from './errors';
export {
  createLogger,
  GrpcCallInterceptor,
  NestJsonLogger,
  runIdOf,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logging';
export {
  OVERALL_HEALTH,
  ServiceHealth,
  type DependencyCheck,
  type DependencyResult,
  type ServingStatus,
} from './health';
export * from './client-entry';
export { PROTO_LOADER_OPTIONS } from './client';
export {
  DEFAULT_PROTO_PACKAGE,
  SERVICE_HEALTH,
  SERVICE_LOGGER,
  SHUTDOWN_HOOKS,
  startGrpcService,
  type GrpcService,
  type GrpcServiceOptions,
  type ShutdownHook,
  type ShutdownHooks,
} from './server';
export {
  AUTHORISATION,
  authoriseCall,
  authoriseRequest,
  HEALTH_SERVICE,
  methodPath,
  type Decision,
  type MethodRule,
} from './authorisation';
export { authorisationInterceptor } from './authorisation-interceptor';
export {
  CA_CERT_FILE,
  CA_KEY_FILE,
  certFile,
  certificateFolder,
  ensureCertificates,
  keyFile,
  serviceHosts,
  tlsFilesOf,
  type CertificateFolder,
  type CertificateOptions,
  type TlsFiles,
} from './tls/certificates';
export { testCertificates } from './tls/testing';
