/**
 * HTML -> PDF with puppeteer-core driving the system Chromium (never a downloaded browser). Page numbers come from
 * Chromium's footer template. The page closes after its PDF and the browser in `finally`, also on error
 * (zombie Chromiums: puppeteer#1825).
 */
import puppeteer, { type Page } from 'puppeteer-core';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../atomic.ts';
import { CHROMIUM_FIX, findChromium } from '../setup/chromium.ts';

export interface PdfOptions {
  /** Chromium binary; default `findChromium()` (PERCEPT_CHROMIUM, then PATH). */
  chromium?: string;
  /** Text left of the page number in the footer, e.g. the report title. */
  footerText?: string;
}

export interface PdfResult {
  pages: number;
  /** Seconds from launching Chromium to its exit. */
  seconds: number;
}

/** Sandboxing needs user namespaces that root (containers, CI) lacks; the rest keeps a headless print quiet and offline. */
function chromiumArgs(): string[] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return [
    ...(root ? ['--no-sandbox'] : []),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--font-render-hinting=none',
  ];
}

function footer(text: string): string {
  const style =
    "font-family:'DejaVu Sans',sans-serif;font-size:7.5pt;color:#666;width:100%;margin:0 17mm;display:flex;justify-content:space-between";
  return `<div style="${style}"><span>${text.replace(/[<>&]/g, '')}</span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`;
}

/** Pages of a PDF written by Chromium (Skia writes one `/Type /Page` object per page, uncompressed). */
export function countPdfPages(pdf: Uint8Array): number {
  return (
    Buffer.from(pdf)
      .toString('latin1')
      .match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []
  ).length;
}

/** Loads `html` into a page of a headless Chromium, runs `use` on it, and closes page and browser, also on error. */
async function withPage<T>(
  html: string,
  chromium: string | undefined,
  missing: string,
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const executablePath = chromium ?? findChromium();
  if (executablePath === undefined) throw new UserError(missing);
  // Long reports can exceed puppeteer's 180 s protocol timeout (docs/ARCHITECTURE.md §7).
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: chromiumArgs(),
    protocolTimeout: 600_000,
  });
  try {
    const page = await browser.newPage();
    try {
      await page.setContent(html, { waitUntil: 'load', timeout: 120_000 });
      return await use(page);
    } finally {
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

/**
 * Prints `html` to `file` (A4, the CSS @page margins, page numbers in the footer), written atomically.
 *
 * @example
 * const { pages } = await htmlToPdf(html, 'reports/assignment.pdf', { footerText: 'Assignment 2' });
 */
export async function htmlToPdf(html: string, file: string, options: PdfOptions = {}): Promise<PdfResult> {
  const started = performance.now();
  const missing = `report: no Chromium found to print the PDF. Fix: ${CHROMIUM_FIX}, or use --html.`;
  const pdf = await withPage(html, options.chromium, missing, (page) =>
    page.pdf({
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: footer(options.footerText ?? ''),
      timeout: 0,
    }),
  );
  writeFileAtomic(file, pdf);
  return { pages: countPdfPages(pdf), seconds: (performance.now() - started) / 1000 };
}

/**
 * Renders `html` as a PNG of the whole page at twice the CSS pixel density, written atomically to `file`.
 *
 * @example
 * await htmlToPng('<h1>Grid</h1>', 'grid.png');
 */
export async function htmlToPng(html: string, file: string, options: { chromium?: string } = {}): Promise<void> {
  const missing = `${file}: no Chromium found to draw it. Fix: ${CHROMIUM_FIX}`;
  const png = await withPage(html, options.chromium, missing, async (page) => {
    // The body's box plus its margin: content wider than the default 800 px viewport overflows the document's own width.
    const { width, height } = await page.evaluate(() => {
      const box = document.body.getBoundingClientRect();
      const style = getComputedStyle(document.body);
      return {
        width: Math.ceil(box.right + parseFloat(style.marginRight)),
        height: Math.ceil(box.bottom + parseFloat(style.marginBottom)),
      };
    });
    await page.setViewport({ width, height, deviceScaleFactor: 2 });
    return page.screenshot({ type: 'png', fullPage: true });
  });
  writeFileAtomic(file, png);
}
