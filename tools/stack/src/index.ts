export { Stack, SERVICES, DEFAULT_PORTS, type ServiceName, type StackOptions } from './stack';
export {
  spawnService,
  startServiceUnderTest,
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
export { cifar100Records, writeCifar100Release, writeCub200Release } from './fixtures';
