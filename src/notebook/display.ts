/**
 * Rich output for notebooks on the tslab kernel: Vega-Lite charts, tables, image grids, and displays that update in
 * place. Each helper builds a Jupyter MIME bundle with a rich type and plain fallbacks in one message, so JupyterLab
 * picks the richest and nbconvert/GitHub the SVG or text. Outside a kernel (scripts, tests) the text/plain part is
 * printed instead.
 *
 * tslab's public `display.raw(type, data)` sends one MIME type per message; the bundles here go through the writer
 * tslab installs for the running cell (`lastWriteDisplayData` in tslab/dist/jupyter.js), which takes a whole
 * display_data content (data, metadata, transient.display_id), as tslab's own `DisplayImpl.raw` does.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { UserError } from '../errors.ts';
import { vegaLiteToSvg } from './vega_svg.ts';

/** A Jupyter MIME bundle: MIME type -> content. JSON types carry objects, never JSON strings (docs/ARCHITECTURE.md §7). */
export type MimeBundle = Record<string, unknown>;

/** The content of a display_data / update_display_data message. */
export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

/** Sends one message: display_data when `update` is false, update_display_data (same display_id) when true. */
export type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/** The MIME type JupyterLab 4 renders natively with its bundled Vega-Lite 5. */
export const VEGA_LITE_MIME = 'application/vnd.vegalite.v5+json';

const TSLAB_JUPYTER = `${sep}tslab${sep}dist${sep}jupyter.js`;

/**
 * The running tslab kernel's display writer, or undefined outside a kernel. It is looked up in the process-wide
 * require cache, so the helpers find the kernel's own instance of tslab and never load tslab (and its TypeScript
 * compiler) in scripts. tslab replaces the writer at each execute request, hence the lookup at each call.
 */
export function tslabWriter(): DisplayWriter | undefined {
  // require.cache is shared by every require function of the process; the anchor only has to be an absolute path.
  const cache = createRequire(process.execPath).cache;
  for (const [file, module] of Object.entries(cache)) {
    if (!file.endsWith(TSLAB_JUPYTER)) continue;
    const writer = (module?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof writer === 'function') return writer as DisplayWriter;
  }
  return undefined;
}

/** Prints a message's text/plain part on stdout: the stand-in for a display outside a kernel. */
export const textWriter: DisplayWriter = (message) => {
  const text = message.data['text/plain'];
  if (typeof text === 'string') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** The kernel's writer when running in tslab, else `textWriter`. */
export function defaultWriter(): DisplayWriter {
  return tslabWriter() ?? textWriter;
}

/**
 * One output area that can be replaced in place (a Jupyter display_id): the first `show` creates it, later ones
 * update it.
 *
 * @example
 * const status = new DisplayHandle();
 * status.show({ 'text/plain': 'loading…' });
 * status.show({ 'text/plain': 'done' }); // replaces the line above
 */
export class DisplayHandle {
  readonly id = randomBytes(8).toString('hex');
  private shown = false;

  constructor(private readonly writer: DisplayWriter = defaultWriter()) {}

  show(data: MimeBundle): void {
    this.writer({ data, metadata: {}, transient: { display_id: this.id } }, this.shown);
    this.shown = true;
  }
}

/**
 * Displays a MIME bundle once.
 *
 * @example
 * display({ 'text/html': '<b>hello</b>', 'text/plain': 'hello' });
 */
export function display(data: MimeBundle, writer: DisplayWriter = defaultWriter()): void {
  writer({ data, metadata: {}, transient: {} }, false);
}

/** `&`, `<`, `>`, `"` and `'` escaped for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function chartTitle(spec: TopLevelSpec): string {
  const title = (spec as { title?: unknown }).title;
  if (typeof title === 'string') return title;
  if (typeof title === 'object' && title !== null && typeof (title as { text?: unknown }).text === 'string')
    return (title as { text: string }).text;
  return 'untitled';
}

/**
 * The bundle of a Vega-Lite chart: the spec as a JSON object under the native MIME type, the SVG fallback, and a
 * text line. `$schema` is left out of the native copy: JupyterLab renders with its own Vega-Lite 5, and a v6
 * `$schema` only makes it warn about the version.
 *
 * @example
 * display(vegaLiteBundle(spec, await vegaLiteToSvg(spec)));
 */
export function vegaLiteBundle(spec: TopLevelSpec, svg: string): MimeBundle {
  const { $schema: _schema, ...native } = spec;
  return { [VEGA_LITE_MIME]: native, 'image/svg+xml': svg, 'text/plain': `<Vega-Lite chart: ${chartTitle(spec)}>` };
}

/**
 * Shows a Vega-Lite chart (rendered natively by JupyterLab, SVG elsewhere).
 *
 * @example
 * await showVegaLite({ title: 'loss', mark: 'line', data: { values: history }, encoding: { x: { field: 'epoch' }, y: { field: 'loss', type: 'quantitative' } } });
 */
export async function showVegaLite(spec: TopLevelSpec, writer: DisplayWriter = defaultWriter()): Promise<void> {
  display(vegaLiteBundle(spec, await vegaLiteToSvg(spec)), writer);
}

/** A metric with its 95% confidence interval, as metrics.json stores it. */
export interface ValueWithCi {
  value: number;
  ci: [number, number];
}

/** What a table cell may hold. */
export type TableCell = string | number | boolean | null | undefined | ValueWithCi;

export interface TableOptions {
  /** Columns in order. Default: the keys of all rows, in first-seen order. */
  columns?: string[];
  /** Decimals for non-integer numbers. Default 4. */
  digits?: number;
  /** Caption above the table. Default none. */
  caption?: string;
}

function formatCell(cell: TableCell, digits: number): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isInteger(cell) ? String(cell) : cell.toFixed(digits);
  if (typeof cell === 'object')
    return `${cell.value.toFixed(digits)} [${cell.ci[0].toFixed(digits)}, ${cell.ci[1].toFixed(digits)}]`;
  return String(cell);
}

/**
 * The bundle of a table: HTML with numbers right-aligned, and the same table as aligned text.
 *
 * @example
 * display(tableBundle([{ model: 'mobilenet_v2', accuracy: { value: 0.81, ci: [0.78, 0.84] } }]));
 */
export function tableBundle(rows: readonly Record<string, TableCell>[], options: TableOptions = {}): MimeBundle {
  const digits = options.digits ?? 4;
  const columns = options.columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column], digits)));
  const numeric = columns.map((column) =>
    rows.some((row) => typeof row[column] === 'number' || typeof row[column] === 'object'),
  );
  const align = (index: number): string => (numeric[index] ? ' style="text-align:right"' : '');
  const html = [
    '<table class="percept-table">',
    options.caption === undefined ? '' : `<caption>${escapeHtml(options.caption)}</caption>`,
    `<thead><tr>${columns.map((column, index) => `<th${align(index)}>${escapeHtml(column)}</th>`).join('')}</tr></thead>`,
    `<tbody>${cells.map((row) => `<tr>${row.map((cell, index) => `<td${align(index)}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('')}</tbody>`,
    '</table>',
  ].join('');
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const line = (values: string[]): string =>
    values
      .map((value, index) => (numeric[index] ? value.padStart(widths[index]!) : value.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  const text = [...(options.caption === undefined ? [] : [options.caption]), line(columns), ...cells.map(line)].join(
    '\n',
  );
  return { 'text/html': html, 'text/plain': text };
}

/**
 * Shows a table of rows (objects keyed by column).
 *
 * @example
 * showTable(runs.map((run) => ({ run: run.name, params: run.params, accuracy: run.accuracy })), { caption: 'test split' });
 */
export function showTable(
  rows: readonly Record<string, TableCell>[],
  options: TableOptions = {},
  writer: DisplayWriter = defaultWriter(),
): void {
  display(tableBundle(rows, options), writer);
}

/** One image of a grid: encoded PNG/JPEG/GIF/WebP bytes, and a caption such as 'true Happy / pred Sad'. */
export interface GridImage {
  bytes: Uint8Array;
  caption?: string;
  /** CSS colour of a border around the image, e.g. green for a correct prediction and red for a wrong one. Default none. */
  border?: string;
}

export interface ImageGridOptions {
  /** Images per row. Default 8. */
  columns?: number;
  /** Width and height of each cell in CSS pixels (images are scaled, pixelated when enlarged). Default 96. */
  size?: number;
  /** Title above the grid. Default none. */
  title?: string;
}

/** The image MIME type from the file signature, undefined when it is none that browsers show. */
export function imageMime(bytes: Uint8Array): string | undefined {
  const starts = (...signature: number[]): boolean => signature.every((byte, index) => bytes[index] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'image/webp';
  return undefined;
}

/**
 * The bundle of an image grid: HTML with the images inlined as data URLs and their captions, and a text line.
 * Throws when an image is not PNG/JPEG/GIF/WebP, naming its position.
 *
 * @example
 * display(imageGridBundle(examples.map((e) => ({ bytes: readFileSync(e.file), caption: e.label })), { columns: 6 }));
 */
export function imageGridBundle(images: readonly GridImage[], options: ImageGridOptions = {}): MimeBundle {
  const columns = options.columns ?? 8;
  const size = options.size ?? 96;
  const figures = images.map((image, index) => {
    const mime = imageMime(image.bytes);
    if (mime === undefined)
      throw new UserError(
        `image grid: image ${index} is not PNG, JPEG, GIF or WebP (it starts with bytes ${[...image.bytes.subarray(0, 4)].join(',')}). Fix: pass encoded image bytes, e.g. from sharp(...).png().toBuffer()`,
      );
    const caption =
      image.caption === undefined
        ? ''
        : `<figcaption style="font-size:11px;text-align:center">${escapeHtml(image.caption)}</figcaption>`;
    const src = `data:${mime};base64,${Buffer.from(image.bytes).toString('base64')}`;
    const border =
      image.border === undefined ? '' : `;box-sizing:border-box;border:3px solid ${escapeHtml(image.border)}`;
    return `<figure style="margin:0"><img src="${src}" width="${size}" height="${size}" style="image-rendering:pixelated;object-fit:contain${border}">${caption}</figure>`;
  });
  const title = options.title === undefined ? '' : `<div style="font-weight:bold">${escapeHtml(options.title)}</div>`;
  const html = `${title}<div class="percept-grid" style="display:grid;grid-template-columns:repeat(${columns},${size}px);gap:6px">${figures.join('')}</div>`;
  const captions = images.map((image) => image.caption).filter((caption) => caption !== undefined);
  const text = `<${images.length} images${options.title === undefined ? '' : `: ${options.title}`}>${captions.length > 0 ? `\n${captions.join(' | ')}` : ''}`;
  return { 'text/html': html, 'text/plain': text };
}

/**
 * Shows images in a grid with captions.
 *
 * @example
 * showImageGrid([{ bytes: png, caption: 'Happy' }], { columns: 4, size: 128 });
 */
export function showImageGrid(
  images: readonly GridImage[],
  options: ImageGridOptions = {},
  writer: DisplayWriter = defaultWriter(),
): void {
  display(imageGridBundle(images, options), writer);
}
