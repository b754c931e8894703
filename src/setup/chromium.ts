import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian, Ubuntu and Chrome's own packages put the browser; puppeteer's downloaded Chrome is never used. */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/**
 * The Chromium that prints PDFs: `PERCEPT_CHROMIUM` (or puppeteer's `PUPPETEER_EXECUTABLE_PATH`) when set,
 * else the first of the usual names on PATH. Undefined when none is found.
 *
 * @example
 * const chromium = findChromium() ?? fail('apt-get install chromium');
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env['PERCEPT_CHROMIUM'] ?? env['PUPPETEER_EXECUTABLE_PATH'];
  if (explicit !== undefined && explicit !== '') return existsSync(explicit) ? explicit : undefined;
  const folders = (env['PATH'] ?? '').split(delimiter).filter(Boolean);
  for (const name of CANDIDATES) {
    for (const folder of folders) {
      const file = join(folder, name);
      if (existsSync(file)) return file;
    }
  }
  return undefined;
}

/** The fix printed wherever Chromium is missing. */
export const CHROMIUM_FIX = 'apt-get install chromium (or set PERCEPT_CHROMIUM to a Chromium/Chrome binary)';
