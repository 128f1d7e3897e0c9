export {
  Stack,
  SERVICES,
  DEFAULT_PORTS,
  REPO_ROOT,
  type ServiceName,
  type StackOptions,
  type ServiceProcess,
} from './stack';
