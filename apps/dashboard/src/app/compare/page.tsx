import Link from 'next/link';
import { LineChart } from '../../components/charts/line-chart';
import { ErrorPanel } from '../../components/error-panel';
import { ExportLinks } from '../../components/export-links';
import { StatusBadge } from '../../components/status-badge';
import { PaperTable } from '../../components/paper-table';
import { benchmarkTitle, methodLabel, methodLabels } from '../../lib/catalog';
import { percent } from '../../lib/format';
import { configDiff, groupBySeeds } from '../../lib/run-groups';
import { accuracyBandSeries, thinSteps, trainCurveViews } from '../../lib/train-curves';
import { loadCatalog } from '../../server/catalog';
import { trainer, type RunView } from '../../server/grpc';
import { requireSession } from '../../server/auth';
import { trainHistory } from '../../server/object-store';

export const metadata = { title: 'Compare' };

export default async function ComparePage({
  searchParams,
}: {
  searchParams: Promise<{ runs?: string | string[] }>;
}) {
  await requireSession();
  const raw = (await searchParams).runs;
  const wanted = (Array.isArray(raw) ? raw : [raw ?? ''])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  let runs: RunView[];
  const catalogAnswer = loadCatalog();
  try {
    runs = await trainer.listRuns();
  } catch (error) {
    return (
      <>
        <h1>Compare</h1>
        <ErrorPanel error={error} what="the runs" />
      </>
    );
  }
  const { catalog, error: catalogError } = await catalogAnswer;
  const labels = methodLabels(catalog);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const selected = wanted.map((id) => byId.get(id)).filter((r): r is RunView => !!r);
  const missing = wanted.filter((id) => !byId.has(id));
  const diff = configDiff(selected.map((r) => r.configJson));
  const selectedGroups = groupBySeeds(selected, catalog);
  const allGroups = groupBySeeds(runs, catalog);
  const benchmarks = [...new Set(allGroups.map((g) => g.benchmark))];
  const selectedQuery = `runs=${selected.map((r) => encodeURIComponent(r.id)).join(',')}`;
  // The selected runs' recorded steps, for their loss curves side by side (a run whose history cannot be
  // read is left out of the overlay and named).
  const histories = await Promise.all(
    selected.map((r) =>
      trainHistory(r.id).then(
        (steps) => ({ run: r, steps: thinSteps(steps) }),
        () => ({ run: r, steps: undefined }),
      ),
    ),
  );
  const unreadable = histories.filter((h) => h.steps === undefined).map((h) => h.run.id);
  const losses = trainCurveViews(
    histories
      .filter((h) => h.steps !== undefined && h.steps.length > 0)
      .map((h) => ({ name: `${h.run.id} (seed ${h.run.seed})`, steps: h.steps ?? [], y: (p) => p.loss })),
    false,
  );

  return (
    <>
      <h1>Compare</h1>
      <form className="card" method="get" data-testid="compare-picker">
        <p className="muted">Pick two or more runs.</p>
        {runs.length === 0 && <p className="empty">No runs yet.</p>}
        <div className="thumbs">
          {runs.map((r) => (
            <label key={r.id} style={{ fontWeight: 400, margin: 0, minWidth: 220 }}>
              <input type="checkbox" name="runs" value={r.id} defaultChecked={wanted.includes(r.id)} /> {r.id}{' '}
              <span className="muted">
                ({methodLabel(labels, r.method)}, seed {r.seed})
              </span>
            </label>
          ))}
        </div>
        <p>
          <button type="submit">Compare</button>
        </p>
      </form>
      {missing.length > 0 && <div className="error-panel">Unknown runs: {missing.join(', ')}</div>}

      {selected.length > 0 && (
        <>
          <div className="grid2">
            <section className="card">
              <LineChart
                title="A_t after each task"
                testId="compare-at-chart"
                series={selected.map((r) => ({
                  name: `${r.id} (${methodLabel(labels, r.method)}, seed ${r.seed})`,
                  points: r.accuracies.map((a, t) => ({ x: t + 1, y: a })),
                  dots: true,
                }))}
                xLabel="after task t"
                yLabel="accuracy A_t (%)"
                xDomain={{ min: 0.5, max: Math.max(1, ...selected.map((r) => r.tasks)) + 0.5 }}
                yDomain={{ min: 0, max: 100 }}
                integerX
                emptyText="None of the selected runs has finished a task yet."
              />
            </section>
            <section className="card">
              <LineChart
                title="Training loss of the selected runs"
                testId="compare-loss-chart"
                {...losses}
                xName="epoch"
                yLabel="cross-entropy loss (nats)"
                smoothing
                tableDigits={4}
                emptyText="None of the selected runs has recorded training steps."
              />
              {unreadable.length > 0 && (
                <p className="field-error">Could not read the training history of {unreadable.join(', ')}.</p>
              )}
            </section>
            <section className="card">
              <LineChart
                title="A_t over seeds, per configuration (mean ± std)"
                testId="compare-at-band-chart"
                series={accuracyBandSeries(selectedGroups.map((g) => ({ label: g.label, runs: g.runs })))}
                xLabel="after task t (shaded: ± one std over the seeds)"
                yLabel="accuracy A_t (%)"
                xDomain={{ min: 0.5, max: Math.max(1, ...selected.map((r) => r.tasks)) + 0.5 }}
                yDomain={{ min: 0, max: 100 }}
                integerX
                emptyText="No selected run has finished."
              />
            </section>
            <section className="card">
              <h2>Selected runs</h2>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Run</th>
                      <th>Status</th>
                      <th>Method</th>
                      <th className="num">Seed</th>
                      <th className="num">Last-Acc</th>
                      <th className="num">Inc-Acc</th>
                    </tr>
                  </thead>
                  <tbody>
                    {selected.map((r) => (
                      <tr key={r.id}>
                        <td>
                          <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                        </td>
                        <td>
                          <StatusBadge status={r.status} />
                        </td>
                        <td>{methodLabel(labels, r.method)}</td>
                        <td className="num">{r.seed}</td>
                        <td className="num">{percent(r.lastAcc, r.status === 'RUN_STATUS_SUCCEEDED')}</td>
                        <td className="num">{percent(r.incAcc, r.status === 'RUN_STATUS_SUCCEEDED')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <ExportLinks
                href={`/api/compare/export?table=selected&${selectedQuery}`}
                what="the selected runs"
                testId="export-selected"
              />
            </section>
          </div>

          <section className="card">
            <h2>Configuration differences</h2>
            {selected.length < 2 ? (
              <p className="empty">Select a second run to see what differs.</p>
            ) : diff.length === 0 ? (
              <p className="empty">The configurations are identical.</p>
            ) : (
              <div className="table-wrap">
                <table data-testid="config-diff">
                  <thead>
                    <tr>
                      <th>Setting</th>
                      {selected.map((r) => (
                        <th key={r.id}>{r.id}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {diff.map((row) => (
                      <tr key={row.path}>
                        <td>
                          <code>{row.path}</code>
                        </td>
                        {row.values.map((v, k) => (
                          <td key={k}>
                            <code>{v ?? '–'}</code>
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
                <ExportLinks
                  href={`/api/compare/export?table=config-diff&${selectedQuery}`}
                  what="the configuration differences"
                  testId="export-config-diff"
                />
              </div>
            )}
          </section>

          <section className="card">
            <h2>Selected runs grouped over seeds (mean ± std, beside the paper)</h2>
            {selectedGroups.length === 0 ? (
              <p className="empty">No selected run has finished.</p>
            ) : (
              <>
                <PaperTable groups={selectedGroups} testId="selected-groups" />
                <ExportLinks
                  href={`/api/compare/export?table=paper&${selectedQuery}`}
                  what="the selected runs grouped over seeds"
                  testId="export-selected-groups"
                />
              </>
            )}
          </section>
        </>
      )}

      <section className="card">
        <h2>Paper-style table from every finished run</h2>
        <p className="muted">
          Finished runs of the same configuration (the catalogue configuration and every setting but the seed)
          are grouped: mean ± std over their seeds (numpy’s std, ddof 0, as in the paper’s tables), beside the
          published number and our difference to it (ours − paper) where the paper gives one; ≈ marks a number
          read off the paper’s plots, – none. A configuration run with overrides is named by them: the paper’s
          number is then a reference, not a reproduction.
        </p>
        {catalogError !== undefined && (
          <ErrorPanel
            error={catalogError}
            what="the trainer’s catalogue (method names and published numbers)"
          />
        )}
        {benchmarks.length === 0 && <p className="empty">No finished run yet.</p>}
        {benchmarks.map((b) => (
          <div key={b}>
            <h3>{benchmarkTitle(catalog, b)}</h3>
            <PaperTable groups={allGroups.filter((g) => g.benchmark === b)} testId={`paper-table-${b}`} />
            <ExportLinks
              href={`/api/compare/export?table=paper&benchmark=${encodeURIComponent(b)}`}
              what={`the paper-style table of ${benchmarkTitle(catalog, b)}`}
              testId={`export-paper-${b}`}
            />
          </div>
        ))}
      </section>
    </>
  );
}
