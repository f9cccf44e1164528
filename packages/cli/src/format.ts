/** Human output: aligned columns and short times. */

/** Rows of cells as columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `label  value` lines with the labels aligned; undefined values are left out. */
export function fields(entries: ReadonlyArray<readonly [string, string | number | undefined]>): string {
  const shown = entries.filter(
    (entry): entry is readonly [string, string | number] => entry[1] !== undefined,
  );
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

/** `2026-12-01 10:00:00Z` from an ISO time: shorter than ISO, still unambiguous. */
export function shortTime(iso: string | undefined): string | undefined {
  if (iso === undefined) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
