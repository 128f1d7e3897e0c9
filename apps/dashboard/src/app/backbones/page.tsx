import { ErrorPanel } from '../../components/error-panel';
import { splitter } from '../../server/grpc';
import { RegisterBackboneForm } from './register-form';
import { requireSession } from '../../server/auth';
import { mayStartRuns } from '../../lib/roles';

export const metadata = { title: 'Backbones' };
export const dynamic = 'force-dynamic';

export default async function BackbonesPage() {
  const session = await requireSession();
  let backbones: Awaited<ReturnType<typeof splitter.listBackbones>> = [];
  let listError: unknown;
  try {
    backbones = await splitter.listBackbones();
  } catch (error) {
    listError = error;
  }
  const presets = [...new Set(backbones.map((b) => b.archName).filter((a) => a !== 'custom'))].sort();
  return (
    <>
      <h1>Backbones</h1>
      {listError !== undefined && <ErrorPanel error={listError} what="the list of backbones" />}
      <div className="card table-wrap">
        <table data-testid="backbones-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Architecture</th>
              <th>Digest (SHA-256)</th>
              <th>Source</th>
              <th className="num">Tensors</th>
              <th className="num">Dropped</th>
            </tr>
          </thead>
          <tbody>
            {backbones.map((b) => (
              <tr key={b.name} data-testid={`backbone-${b.name}`}>
                <td>{b.name}</td>
                <td>{b.archName === 'custom' ? <code>{b.archJson}</code> : b.archName}</td>
                <td>
                  <code title={b.digest} data-testid={`backbone-digest-${b.name}`}>
                    {b.digest.slice(0, 16)}…
                  </code>
                </td>
                <td>
                  {b.sourceFile} ({b.sourceFormat})
                </td>
                <td className="num">{b.tensors}</td>
                <td className="num" title={b.dropped.join(', ')}>
                  {b.dropped.length}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {mayStartRuns(session.role) && <RegisterBackboneForm presets={presets} />}
    </>
  );
}
