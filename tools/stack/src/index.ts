export { Stack, SERVICES, DEFAULT_PORTS, TLS_DIR, type ServiceName, type StackOptions } from './stack';
export {
  spawnService,
  startServiceUnderTest,
  tableClient,
  SERVICE_CONTRACTS,
  type ServiceUnderTest,
  startObjectStore,
  failure,
  present,
  REPO_ROOT,
  type ServiceProcess,
  type SpawnOptions,
  type ObjectStoreFixture,
} from './service-process';
export {
  startDashboard,
  dashboardEnv,
  dashboardBuilt,
  freePort,
  DASHBOARD_DIR,
  type DashboardProcess,
  type DashboardCredentials,
} from './dashboard';
/** Certificates of a test CA, for tests that start services or clients (see @slca/service-kit). */
export { testCertificates } from '@slca/service-kit';
export { cifar100Records, writeCifar100Release, writeCub200Release } from './fixtures';
