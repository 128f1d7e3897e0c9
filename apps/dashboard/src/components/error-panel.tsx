import { ServiceCallError } from '../server/grpc';

/** What went wrong talking to a service, said plainly (server components only). */
export function ErrorPanel({ error, what }: { error: unknown; what: string }) {
  const message =
    error instanceof ServiceCallError
      ? error.unreachable
        ? `${error.message}. Is the stack running? (npm start)`
        : error.message
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div className="error-panel" role="alert" data-testid="error-panel">
      <strong>Could not load {what}.</strong> {message}
    </div>
  );
}
