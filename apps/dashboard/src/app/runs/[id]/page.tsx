import type { Metadata } from 'next';
import Link from 'next/link';
import { FORMULAS } from '@slca/metrics';
import { ErrorPanel } from '../../../components/error-panel';
import { benchmarkTitle, findConfiguration, methodLabel, methodLabels } from '../../../lib/catalog';
import { bytes, shortDigest, timestamp } from '../../../lib/format';
import { loadCatalog } from '../../../server/catalog';
import { evaluator, ServiceCallError, splitter, trainer, type RunView } from '../../../server/grpc';
import { readObject, trainHistory } from '../../../server/object-store';
import { ExportLinks } from '../../../components/export-links';
import { ContinualViews } from './class-views';
import { RunDetails } from './run-details';
import { LiveRun } from './live-run';
import { loadViews } from './load-views';
import { requireSession } from '../../../server/auth';
import { mayManageRun, mayStartRuns } from '../../../lib/roles';

const ARTIFACT_KINDS: Record<string, string> = {
  checkpoints: 'Checkpoints',
  models: 'Evaluated models',
  stats: 'Class statistics',
  metrics: 'Metrics',
  logs: 'Logs',
};

/** The run's objects by kind (the first folder under runs/<id>/), files directly under it as "Run". */
function artifactGroups<T extends { key: string }>(id: string, objects: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const o of objects) {
    const rest = o.key.slice(`runs/${id}/`.length).split('/');
    const kind = rest.length > 1 ? (ARTIFACT_KINDS[rest[0]] ?? rest[0]) : 'Run';
    groups.set(kind, [...(groups.get(kind) ?? []), o]);
  }
  const order = ['Run', ...Object.values(ARTIFACT_KINDS)];
  const rank = (kind: string) => (order.includes(kind) ? order.indexOf(kind) : order.length);
  return [...groups].sort(([a], [b]) => rank(a) - rank(b));
}

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  return { title: `Run ${(await params).id}` };
}

function configurationIdOf(config: unknown): string {
  const own = (config as { configuration?: { id?: unknown } } | null)?.configuration;
  return typeof own?.id === 'string' ? own.id : '';
}

/** A digest, shortened, with the whole of it in the title. */
function Digest({ value, testId }: { value: string | undefined; testId: string }) {
  if (!value) return <span data-testid={testId}>—</span>;
  return (
    <code title={value} data-testid={testId} data-digest={value}>
      {shortDigest(value)}
    </code>
  );
}

/** What the run ran on and with, as the trainer recorded it when the run was prepared. */
function Lineage({ run }: { run: RunView }) {
  const lineage = run.lineage;
  const dash = (value: string | number | undefined, testId: string) =>
    value ? <span data-testid={testId}>{value}</span> : <span data-testid={testId}>—</span>;
  return (
    <section className="card" data-testid="lineage">
      <h2>Lineage</h2>
      {!lineage && (
        <p className="muted">
          {run.status === 'RUN_STATUS_QUEUED'
            ? 'Recorded when the run is prepared (dataset, split, backbone and code are fixed then).'
            : 'This run was recorded before the trainer kept its lineage.'}
        </p>
      )}
      <dl className="facts">
        <dt>Dataset</dt>
        <dd>
          {lineage?.dataset ? (
            <Link href="/datasets" data-testid="lineage-dataset">
              {lineage.dataset}
            </Link>
          ) : (
            dash(undefined, 'lineage-dataset')
          )}{' '}
          <Digest value={lineage?.datasetDigest} testId="lineage-dataset-digest" />
        </dd>
        <dt>Split</dt>
        <dd>
          {run.splitId ? (
            <code data-testid="lineage-split">{run.splitId}</code>
          ) : (
            dash(undefined, 'lineage-split')
          )}
        </dd>
        <dt>Backbone</dt>
        <dd>
          {dash(lineage?.backbone, 'lineage-backbone')}{' '}
          <Digest value={lineage?.backboneDigest} testId="lineage-backbone-digest" />
        </dd>
        <dt>Configuration</dt>
        <dd>
          {lineage?.configurationId ? (
            <>
              <code data-testid="lineage-configuration">{lineage.configurationId}</code>{' '}
              <span className="muted" data-testid="lineage-configuration-version">
                (version {lineage.configurationVersion})
              </span>
            </>
          ) : (
            dash(undefined, 'lineage-configuration')
          )}
        </dd>
        <dt>Code version</dt>
        <dd>
          {lineage?.codeVersion ? (
            <code title={lineage.codeVersion} data-testid="lineage-code-version">
              {lineage.codeVersion}
            </code>
          ) : (
            dash(undefined, 'lineage-code-version')
          )}
        </dd>
        <dt>Backend</dt>
        <dd>{dash(run.backend, 'lineage-backend')}</dd>
        <dt>Device</dt>
        <dd>{dash(run.device, 'lineage-device')}</dd>
      </dl>
    </section>
  );
}

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** Every change of the run's state, oldest first, as the trainer recorded it (who, what, when). */
function AuditLog({ entries }: { entries: RunView['auditLog'] }) {
  return (
    <section className="card" data-testid="audit-log">
      <h2>Audit log</h2>
      {entries.length === 0 ? (
        <p className="empty">No changes recorded (the run predates audit logs).</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>What</th>
                <th>Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e, i) => (
                <tr key={i} data-testid="audit-entry">
                  <td>{timestamp(e.atMs)}</td>
                  <td>{e.who}</td>
                  <td>{e.action}</td>
                  <td>{e.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export default async function RunPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ confusion?: string | string[] }>;
}) {
  const session = await requireSession();
  const { id } = await params;
  const confusionParam = (await searchParams).confusion;
  const confusionTask =
    typeof confusionParam === 'string' && /^[0-9]+$/.test(confusionParam)
      ? Number(confusionParam)
      : undefined;
  let run: RunView | undefined;
  try {
    run = await trainer.getRun(id);
  } catch (error) {
    if (error instanceof ServiceCallError && error.code === 'NOT_FOUND')
      return (
        <>
          <h1>Run {id}</h1>
          <div className="card empty">
            No run with this id. <Link href="/">Back to the runs</Link>.
          </div>
        </>
      );
    return (
      <>
        <h1>Run {id}</h1>
        <ErrorPanel error={error} what="the run" />
      </>
    );
  }
  if (!run) return <ErrorPanel error={new Error('the trainer answered without a run')} what="the run" />;

  const canManage = mayManageRun(session.role, session.user, run.ownedBy);
  const [metrics, artifacts, split, { catalog }] = await Promise.all([
    // The evaluator knows a run only once its first task is evaluated: until then its matrix is empty.
    settle(
      evaluator.runMetrics(id).catch((error: unknown) => {
        if (error instanceof ServiceCallError && error.code === 'NOT_FOUND') return undefined;
        throw error;
      }),
    ),
    settle(trainer.artifacts(id)),
    run.splitId
      ? settle(splitter.getSplit(run.splitId))
      : Promise.resolve({ value: undefined, error: undefined }),
    loadCatalog(),
  ]);
  const logObject = artifacts.value?.find((o) => o.key.endsWith('/logs/trainer.log'));
  const log = logObject ? await settle(readObject(logObject.key).then((b) => b.toString('utf8'))) : undefined;
  // The steps the trainer recorded up to its latest checkpoint; live events extend the curves from there.
  const history = await settle(trainHistory(id));
  const rows = (metrics.value?.accuracyMatrix ?? []).map((r) => r.values);
  const classViews = await settle(loadViews(run, metrics.value, split.value));
  let config: unknown = {};
  try {
    config = JSON.parse(run.configJson || '{}');
  } catch {
    config = run.configJson;
  }

  return (
    <>
      <h1>
        Run <span data-testid="run-id">{run.id}</span>
      </h1>
      <p className="muted">
        {methodLabel(methodLabels(catalog), run.method)} on {benchmarkTitle(catalog, run.benchmark)}, seed{' '}
        {run.seed}
        {run.backend && <>, backend {run.backend}</>} · created {timestamp(run.createdAtMs)} UTC
        {run.ownedBy && (
          <>
            {' '}
            by <span data-testid="run-owner">{run.ownedBy}</span>
          </>
        )}
        {run.tags.length > 0 && (
          <>
            {' · '}
            {run.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </>
        )}
      </p>
      {mayStartRuns(session.role) &&
        findConfiguration(catalog, run.lineage?.configurationId || configurationIdOf(config)) && (
          <p className="actions">
            <Link
              className="button"
              href={`/runs/new?from=${encodeURIComponent(run.id)}`}
              data-testid="repeat-run"
            >
              New run like this
            </Link>
          </p>
        )}
      <ExportLinks
        href={`/api/runs/${encodeURIComponent(run.id)}/export/run`}
        what="the whole run (record, metrics and views)"
        formats={['json']}
        testId="export-run"
      />
      {metrics.error !== undefined && <ErrorPanel error={metrics.error} what="the accuracy matrix" />}
      <LiveRun
        initialRun={run}
        initialRows={rows}
        formulas={{
          forgetting: FORMULAS.forgetting,
          bwt: FORMULAS.bwt,
          incAcc: FORMULAS.incAcc,
          at: FORMULAS.accuracyAfterTask,
        }}
        storedLog={log?.value ?? ''}
        history={history.value ?? []}
        matrixExportHref={`/api/runs/${encodeURIComponent(run.id)}/export/matrix`}
        canManage={canManage}
      />

      {classViews.error !== undefined ? (
        <ErrorPanel error={classViews.error} what="the per-class views" />
      ) : (
        classViews.value && (
          <ContinualViews
            runId={run.id}
            views={classViews.value.views}
            names={classViews.value.names}
            confusionTask={confusionTask}
          />
        )
      )}

      <Lineage run={run} />

      {run.notes && (
        <section className="card" data-testid="run-notes">
          <h2>Notes</h2>
          <p className="notes">{run.notes}</p>
        </section>
      )}
      {canManage && (
        <RunDetails
          id={run.id}
          status={run.status}
          tags={run.tags}
          notes={run.notes}
          archived={run.archived}
          artifacts={artifacts.value?.length ?? 0}
        />
      )}

      <AuditLog entries={run.auditLog} />

      <div className="grid2">
        <section className="card">
          <h2>Class order and split</h2>
          {split.error !== undefined ? (
            <ErrorPanel error={split.error} what="the split" />
          ) : !split.value ? (
            <p className="empty">The split is made when the run starts.</p>
          ) : (
            <>
              <p className="muted">
                Split <code>{split.value.id}</code> of <Link href="/datasets">{split.value.dataset}</Link>,
                seed {split.value.seed}. Class order (label k ← original class id):
              </p>
              <p className="formula" data-testid="class-order">
                {split.value.classOrder.join(' ')}
              </p>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Task</th>
                      <th className="num">Classes</th>
                      <th className="num">Train images</th>
                      <th className="num">Test images</th>
                      <th>Original class ids</th>
                    </tr>
                  </thead>
                  <tbody>
                    {split.value.tasks.map((t) => (
                      <tr key={t.index}>
                        <td>{t.index + 1}</td>
                        <td className="num">{t.classes.length}</td>
                        <td className="num">{t.trainCount}</td>
                        <td className="num">{t.testCount}</td>
                        <td>{t.classes.join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </section>
        <section className="card">
          <h2>Configuration</h2>
          <pre className="formula" data-testid="run-config" style={{ maxHeight: 360, overflow: 'auto' }}>
            {typeof config === 'string' ? config : JSON.stringify(config, null, 2)}
          </pre>
        </section>
      </div>

      <section className="card">
        <h2>Artifacts</h2>
        {artifacts.error !== undefined ? (
          <ErrorPanel error={artifacts.error} what="the artifacts" />
        ) : (artifacts.value ?? []).length === 0 ? (
          <p className="empty">Nothing committed yet.</p>
        ) : (
          <div data-testid="artifacts">
            {artifactGroups(id, artifacts.value ?? []).map(([kind, objects]) => (
              <details key={kind} open={objects.length <= 12}>
                <summary>
                  <strong>{kind}</strong> <span className="muted">({objects.length} objects)</span>
                </summary>
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th>Object</th>
                        <th className="num">Size</th>
                        <th>SHA-256</th>
                      </tr>
                    </thead>
                    <tbody>
                      {objects.map((o) => (
                        <tr key={o.key}>
                          <td>
                            <a
                              href={`/api/runs/${encodeURIComponent(id)}/artifacts?key=${encodeURIComponent(o.key)}`}
                              download
                              data-key={o.key}
                              data-sha256={o.sha256}
                            >
                              {o.key.slice(`runs/${id}/`.length)}
                            </a>
                          </td>
                          <td className="num">{bytes(o.size)}</td>
                          <td>
                            <code title={o.sha256}>{o.sha256.slice(0, 16)}…</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            ))}
          </div>
        )}
      </section>
    </>
  );
}
