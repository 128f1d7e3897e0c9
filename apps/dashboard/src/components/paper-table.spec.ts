import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CATALOG, CIFAR_SLCA, EMBEDDED_SLCA } from '../lib/catalog.fixture';
import { groupBySeeds, type RunSummaryInput } from '../lib/run-groups';
import { PaperTable } from './paper-table';

const run = (
  id: string,
  experiment: Record<string, unknown>,
  seed: number,
  lastAcc: number,
  incAcc: number,
): RunSummaryInput => ({
  id,
  status: 'RUN_STATUS_SUCCEEDED',
  benchmark: String(experiment.benchmark),
  method: String(experiment.method),
  seed,
  configJson: JSON.stringify({ ...experiment, seed }),
  lastAcc,
  incAcc,
  accuracies: [lastAcc],
  lineage: { configurationId: (experiment.configuration as { id: string }).id },
});

/** The table's cells by their column, row by row. */
function cells(html: string): Record<string, string>[] {
  const rows = [...html.matchAll(/<tr data-configuration="[^"]*">(.*?)<\/tr>/g)].map((m) => m[1]);
  return rows.map((r) =>
    Object.fromEntries(
      [...r.matchAll(/<td[^>]*data-col="([a-zA-Z]+)"[^>]*>(.*?)<\/td>/g)].map((m) => [
        m[1],
        m[2].replace(/<[^>]+>/g, '').replace(/&#x27;/g, "'"),
      ]),
    ),
  );
}

describe('the compare page’s paper-style table', () => {
  it('shows the published number and our difference beside each cell, – where the paper has none', () => {
    const groups = groupBySeeds(
      [
        run('cifar-1993', CIFAR_SLCA, 1993, 91.0, 93.5),
        run('cifar-1996', CIFAR_SLCA, 1996, 92.0, 94.5),
        run('emoji-1993', EMBEDDED_SLCA, 1993, 30.25, 50.5),
      ],
      CATALOG,
    );
    const html = renderToStaticMarkup(createElement(PaperTable, { groups, testId: 'paper-table' }));
    expect(html).toContain('data-testid="paper-table"');
    expect(cells(html)).toEqual([
      {
        method: 'SLCA',
        configuration: 'embedded/vit-emoji/slca@v1split-emoji · vit-emoji',
        lastAcc: '30.25',
        lastAccPaper: '–',
        lastAccDelta: '–',
        incAcc: '50.50',
        incAccPaper: '–',
        incAccDelta: '–',
        seeds: '1 seed',
        runs: 'emoji-1993',
      },
      {
        method: 'SLCA',
        configuration: 'cifar100/in21k/slca@v3cifar100 · in21k',
        lastAcc: '91.50 ± 0.50',
        lastAccPaper: '91.53 ± 0.28',
        lastAccDelta: '-0.03',
        incAcc: '94.00 ± 0.50',
        incAccPaper: '94.09 ± 0.87',
        incAccDelta: '-0.09',
        seeds: '2 seeds',
        runs: 'cifar-1993, cifar-1996',
      },
    ]);
    // The paper's source is the published cells' title; one seed never shows a spread of ± 0.00.
    expect(html).toContain('title="SLCA paper (ICCV 2023), ViT-B/16 IN21K"');
    expect(html).not.toContain('± 0.00');
    expect(html).toContain('href="/runs/cifar-1996"');
  });
});
