import Link from 'next/link';
import { ErrorPanel } from '../../components/error-panel';
import { splitter, trainer } from '../../server/grpc';
import type { Dataset, Split } from '@slca/contracts';
import { requireSession } from '../../server/auth';

export const metadata = { title: 'Datasets' };

/** How many classes show a sample thumbnail before the rest are listed by name only. */
const THUMBNAILS = 30;

export default async function DatasetsPage() {
  await requireSession();
  // The splitter lists no splits; the ones in use are those of the runs.
  let splits: Split[] = [];
  let splitsError: unknown;
  try {
    const ids = [...new Set((await trainer.listRuns()).map((r) => r.splitId).filter(Boolean))];
    splits = (await Promise.all(ids.map((id) => splitter.getSplit(id)))).filter((s): s is Split => !!s);
  } catch (error) {
    splitsError = error;
  }
  let datasets: Dataset[];
  let listError: unknown;
  try {
    datasets = await splitter.listDatasets();
  } catch (error) {
    // Still show the datasets the runs' splits name, each fetched by name.
    listError = error;
    const names = [...new Set(splits.map((s) => s.dataset))];
    datasets = (await Promise.all(names.map((n) => splitter.getDataset(n).catch(() => undefined)))).filter(
      (d): d is Dataset => !!d,
    );
  }
  return (
    <>
      <h1>Datasets</h1>
      {listError !== undefined && (
        <ErrorPanel error={listError} what="the list of datasets (showing those the runs use)" />
      )}
      {datasets.length === 0 && listError === undefined && (
        <div className="card empty">
          No dataset registered yet. The trainer imports the embedded Split Emoji when a run on it starts.
        </div>
      )}
      {datasets.map((d) => (
        <section className="card" key={d.name} data-testid={`dataset-${d.name}`}>
          <h2>{d.name}</h2>
          <p className="muted">
            {d.classes.length} classes · {d.trainCount} training and {d.testCount} test images ·{' '}
            {d.imageSize > 0 ? `${d.imageSize} px` : 'images at their source sizes'} · manifest{' '}
            <code title={d.manifestDigest}>{d.manifestDigest.slice(0, 12)}…</code>
          </p>
          <div className="thumbs">
            {d.classes.slice(0, THUMBNAILS).map((c) => (
              <div className="thumb" key={c.id}>
                <img
                  src={`/api/datasets/${encodeURIComponent(d.name)}/classes/${c.id}/thumbnail`}
                  alt={`sample of ${c.name}`}
                  loading="lazy"
                />
                <div>{c.name}</div>
                <div className="muted">
                  {c.trainCount} / {c.testCount}
                </div>
              </div>
            ))}
          </div>
          {d.classes.length > THUMBNAILS && (
            <p className="muted">…and {d.classes.length - THUMBNAILS} more classes.</p>
          )}
          <details>
            <summary>Class counts</summary>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th className="num">Id</th>
                    <th>Class</th>
                    <th className="num">Train</th>
                    <th className="num">Test</th>
                  </tr>
                </thead>
                <tbody>
                  {d.classes.map((c) => (
                    <tr key={c.id}>
                      <td className="num">{c.id}</td>
                      <td>{c.name}</td>
                      <td className="num">{c.trainCount}</td>
                      <td className="num">{c.testCount}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </section>
      ))}
      <h2>Splits in use</h2>
      {splitsError !== undefined && <ErrorPanel error={splitsError} what="the splits" />}
      {splits.length === 0 && splitsError === undefined && (
        <p className="empty">No run has made a split yet.</p>
      )}
      {splits.length > 0 && (
        <div className="table-wrap">
          <table data-testid="splits">
            <thead>
              <tr>
                <th>Split</th>
                <th>Dataset</th>
                <th className="num">Seed</th>
                <th className="num">Tasks</th>
                <th>Classes per task</th>
                <th>Class order (first 10)</th>
              </tr>
            </thead>
            <tbody>
              {splits.map((s) => (
                <tr key={s.id}>
                  <td>
                    <code>{s.id}</code>
                  </td>
                  <td>{s.dataset}</td>
                  <td className="num">{s.seed}</td>
                  <td className="num">{s.tasks.length}</td>
                  <td>{s.tasks.map((t) => t.classes.length).join(' + ')}</td>
                  <td>{s.classOrder.slice(0, 10).join(' ')}…</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">
        <Link href="/runs/new">Start a run</Link> to make a split for another seed.
      </p>
    </>
  );
}
