import { NewRunForm } from './new-run-form';

export const metadata = { title: 'New run' };

export default function NewRunPage() {
  return (
    <>
      <h1>New run</h1>
      <p className="muted">
        Starts from a golden configuration (the benchmark’s recipe for the method); the fields below and the
        optional overrides change it. The trainer validates everything again and names any field it refuses.
      </p>
      <NewRunForm />
    </>
  );
}
