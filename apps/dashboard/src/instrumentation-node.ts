import { config, DashboardConfigError } from './server/config';

// A bad environment stops the server at once, with every problem named by its variable.
try {
  config();
} catch (error) {
  if (!(error instanceof DashboardConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
