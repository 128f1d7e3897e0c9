export { Stack, SERVICES, DEFAULT_PORTS, type ServiceName, type StackOptions } from './stack';
export {
  spawnService,
  startObjectStore,
  failure,
  present,
  REPO_ROOT,
  type ServiceProcess,
  type SpawnOptions,
  type ObjectStoreFixture,
} from './service-process';
