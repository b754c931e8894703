/**
 * A small RFC 4180 CSV parser (quoted fields, doubled quotes, CRLF), shared by the manifest and time-series readers.
 */

/** A parsed table: the header row and the data rows (each with its 1-based line number for messages). */
export interface CsvTable {
  header: string[];
  rows: { line: number; cells: string[] }[];
}

/**
 * Splits CSV text into rows of cells; blank lines are dropped.
 *
 * @example
 * parseCsvRows('a,"b, c"\n1,2'); // [{ line: 1, cells: ['a', 'b, c'] }, { line: 2, cells: ['1', '2'] }]
 */
export function parseCsvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = (): void => {
    cells.push(cell);
    if (cells.length > 1 || cells[0]!.trim() !== '') rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        cell += char;
      }
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += char;
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

/**
 * Parses CSV text whose first row is a header.
 *
 * @example
 * parseCsv('date,price\nJan 1 2000,1394.46').header; // ['date', 'price']
 */
export function parseCsv(text: string): CsvTable {
  const [first, ...rows] = parseCsvRows(text.replace(/^\uFEFF/, ''));
  return { header: (first?.cells ?? []).map((name) => name.trim()), rows };
}
