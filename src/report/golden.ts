/**
 * Golden-file comparison for tests (docs/ARCHITECTURE.md §6): the expected text lives in a file; a mismatch writes
 * `<name>-changed.<ext>` beside it for review and fails. PERCEPT_UPDATE_GOLDEN=1 rewrites the golden files instead.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';

/**
 * Returns undefined when `actual` equals the golden file, else a message naming the `-changed` file.
 *
 * @example
 * assert.equal(compareGolden('src/plots/golden/roc_pr.json', text), undefined);
 */
export function compareGolden(file: string, actual: string): string | undefined {
  const ext = extname(file);
  const changed = `${file.slice(0, -ext.length)}-changed${ext}`;
  if (process.env['PERCEPT_UPDATE_GOLDEN'] === '1') {
    writeFileSync(file, actual);
    rmSync(changed, { force: true });
    return undefined;
  }
  const expected = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (expected === actual) {
    rmSync(changed, { force: true });
    return undefined;
  }
  writeFileSync(changed, actual);
  return `${file} ${expected === undefined ? 'does not exist' : 'differs'}: the output is in ${changed}. If the change is intended, rerun with PERCEPT_UPDATE_GOLDEN=1 (or move it over).`;
}
