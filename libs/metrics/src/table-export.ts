import type { AccuracyMatrix } from './accuracy-matrix';
import type { ConfusionMatrix, OldNewRow } from './class-views';
import { MetricsInputError } from './metrics-input-error';

/** A cell: text as it is, a number formatted to the table's digits, null for "no value" (–). */
export type TableCell = string | number | null;

export interface TableColumn {
  readonly title: string;
  /** Numbers are right-aligned by default, text left-aligned. */
  readonly align?: 'left' | 'right';
  /** Decimals of this column's numbers, when not the table's (0 for counts). */
  readonly digits?: number;
}

/** A table independent of how it is written out (Markdown, LaTeX, CSV, JSON). */
export interface DataTable {
  readonly columns: readonly TableColumn[];
  readonly rows: readonly (readonly TableCell[])[];
}

export interface TableTextOptions {
  /** Decimals of every number cell; default 2. */
  readonly digits?: number;
}

export interface LatexTableOptions extends TableTextOptions {
  /** A `table` float around the `tabular` with this caption; without it, the bare `tabular`. */
  readonly caption?: string;
  /** `\label{…}` of the float (only with a caption); letters, digits and `:-_.` only. */
  readonly label?: string;
}

const MISSING = '–';

function checkTable(table: DataTable, fn: string): void {
  if (!Array.isArray(table.columns) || table.columns.length === 0) {
    throw new MetricsInputError(`${fn}: a table needs at least one column`);
  }
  table.rows.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== table.columns.length) {
      throw new MetricsInputError(
        `${fn}: row ${i} has ${Array.isArray(row) ? row.length : typeof row} cells, the table has ${table.columns.length} columns`,
      );
    }
    row.forEach((cell, j) => {
      if (typeof cell === 'number' && !Number.isFinite(cell)) {
        throw new MetricsInputError(`${fn}: cell [${i}][${j}] is not a finite number (${cell})`);
      }
      if (typeof cell === 'string' && /[\r\n]/.test(cell)) {
        throw new MetricsInputError(`${fn}: cell [${i}][${j}] contains a line break`);
      }
    });
  });
  table.columns.forEach((c, j) => {
    if (/[\r\n]/.test(c.title))
      throw new MetricsInputError(`${fn}: column ${j}'s title contains a line break`);
    if (c.digits !== undefined) checkDigits(c.digits, `${fn}: column ${j}`);
  });
}

function checkDigits(digits: number, fn: string): void {
  if (!Number.isSafeInteger(digits) || digits < 0 || digits > 10) {
    throw new MetricsInputError(`${fn}: digits must be an integer in [0, 10], got ${digits}`);
  }
}

/** A cell as text: numbers to `digits` decimals, null as "–". */
export function cellText(cell: TableCell, digits = 2): string {
  if (cell === null) return MISSING;
  if (typeof cell === 'number') return cell.toFixed(digits);
  return cell;
}

/** Every cell of the table as text, each number to its column's digits (else `digits`). */
export function tableTexts(table: DataTable, digits = 2): string[][] {
  return table.rows.map((r) => r.map((cell, j) => cellText(cell, table.columns[j].digits ?? digits)));
}

/** Right-aligned unless the column says otherwise: a column is numeric when its first value is a number. */
function alignments(table: DataTable): ('left' | 'right')[] {
  return table.columns.map((c, j) => {
    if (c.align) return c.align;
    const first = table.rows.find((r) => r[j] !== null)?.[j];
    return typeof first === 'number' ? 'right' : 'left';
  });
}

/**
 * A GitHub-flavoured Markdown table: `|` and `\` in cells escaped, numbers right-aligned
 * (`---:`), no trailing newline.
 */
export function tableMarkdown(table: DataTable, { digits = 2 }: TableTextOptions = {}): string {
  checkTable(table, 'tableMarkdown');
  checkDigits(digits, 'tableMarkdown');
  const escape = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  const rule = alignments(table).map((a) => (a === 'right' ? '---:' : '---'));
  return [
    line(table.columns.map((c) => c.title)),
    `| ${rule.join(' | ')} |`,
    ...tableTexts(table, digits).map(line),
  ].join('\n');
}

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '±': '$\\pm$',
  '≈': '$\\approx$',
  Δ: '$\\Delta$',
  '−': '$-$',
  '–': '--',
  '—': '---',
  '×': '$\\times$',
  '≥': '$\\geq$',
  '≤': '$\\leq$',
};

/** Text safe in LaTeX: its special characters escaped, the table's symbols (± ≈ Δ – −) in math or dashes. */
export function latexEscape(text: string): string {
  return text.replace(/[\\&%$#_{}~^±≈Δ−–—×≥≤]/g, (ch) => LATEX_SPECIALS[ch]);
}

/**
 * A paper table in LaTeX with booktabs rules (`\toprule`, `\midrule`, `\bottomrule`; add
 * `\usepackage{booktabs}`), numbers right-aligned, special characters escaped, "–" for no value. With a
 * caption, a `table` float; no trailing newline.
 */
export function tableLatex(table: DataTable, options: LatexTableOptions = {}): string {
  const { digits = 2, caption, label } = options;
  checkTable(table, 'tableLatex');
  checkDigits(digits, 'tableLatex');
  if (label !== undefined && !/^[A-Za-z0-9:_.-]+$/.test(label)) {
    throw new MetricsInputError(
      `tableLatex: label must be letters, digits and ':_.-', got ${JSON.stringify(label)}`,
    );
  }
  if (caption !== undefined && /[\r\n]/.test(caption)) {
    throw new MetricsInputError('tableLatex: caption contains a line break');
  }
  const spec = alignments(table)
    .map((a) => (a === 'right' ? 'r' : 'l'))
    .join('');
  const line = (cells: readonly string[]) => `${cells.map(latexEscape).join(' & ')} \\\\`;
  const tabular = [
    `\\begin{tabular}{${spec}}`,
    '\\toprule',
    line(table.columns.map((c) => c.title)),
    '\\midrule',
    ...tableTexts(table, digits).map(line),
    '\\bottomrule',
    '\\end{tabular}',
  ];
  if (caption === undefined) return tabular.join('\n');
  return [
    '\\begin{table}[t]',
    '\\centering',
    `\\caption{${latexEscape(caption)}}`,
    ...(label === undefined ? [] : [`\\label{${label}}`]),
    ...tabular,
    '\\end{table}',
  ].join('\n');
}

/** The accuracy matrix as a table: one row per evaluated task ("after task i"), one column per task j. */
export function accuracyMatrixTable(matrix: AccuracyMatrix): DataTable {
  const tasks = matrix.length;
  return {
    columns: [
      { title: 'after task', align: 'left' },
      ...Array.from({ length: tasks }, (_, j) => ({ title: `task ${j + 1}`, align: 'right' as const })),
    ],
    rows: matrix
      .filter((row) => row.some((cell) => cell !== null))
      .map((row, i) => [String(i + 1), ...row.map((cell) => cell)]),
  };
}

/** Old- vs new-class accuracy per task as a table. */
export function oldNewTable(rows: readonly OldNewRow[]): DataTable {
  const right = 'right' as const;
  return {
    columns: [
      { title: 'after task', align: 'left' },
      { title: 'old classes (%)', align: right },
      { title: 'new classes (%)', align: right },
      { title: 'all seen (%)', align: right },
      { title: 'old images', align: right, digits: 0 },
      { title: 'new images', align: right, digits: 0 },
    ],
    rows: rows.map((r) => [String(r.task + 1), r.old, r.new, r.all, r.oldImages, r.newImages]),
  };
}

/**
 * Per-class accuracy after each task as a table: one row per class (named by `classNames[c]` when given,
 * else its class-order label), one column per evaluated task.
 */
export function perClassTable(
  perClass: readonly (readonly (number | null)[])[],
  tasks: readonly number[],
  classNames?: readonly string[],
): DataTable {
  if (perClass.length !== tasks.length) {
    throw new MetricsInputError(
      `perClassTable: ${perClass.length} rows of per-class accuracy for ${tasks.length} tasks`,
    );
  }
  const classes = perClass[0]?.length ?? 0;
  return {
    columns: [
      { title: 'class', align: 'left' },
      ...tasks.map((t) => ({ title: `after task ${t + 1}`, align: 'right' as const })),
    ],
    rows: Array.from({ length: classes }, (_, c) => [
      classNames?.[c] ?? String(c),
      ...perClass.map((row) => row[c]),
    ]),
  };
}

/** A confusion matrix as a table: rows the true class, columns the predicted class. */
export function confusionTable(confusion: ConfusionMatrix, classNames?: readonly string[]): DataTable {
  const name = (c: number) => classNames?.[c] ?? String(c);
  return {
    columns: [
      { title: 'true \\ predicted', align: 'left' },
      ...confusion.map((_, c) => ({ title: name(c), align: 'right' as const, digits: 0 })),
    ],
    rows: confusion.map((row, c) => [name(c), ...row]),
  };
}
