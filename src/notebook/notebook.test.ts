/** Unit tests of the notebook helpers that need no kernel: bundles, parameters, error summaries, globs, kernelspec, staleness. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TopLevelSpec } from 'vega-lite';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { BUNDLE_PATHS, staleReason } from './bundle_stamp.ts';
import {
  DisplayHandle,
  imageGridBundle,
  imageMime,
  tableBundle,
  vegaLiteBundle,
  VEGA_LITE_MIME,
  type DisplayMessage,
} from './display.ts';
import { tslabKernelSpec } from './kernel.ts';
import { notebookParams } from './params.ts';
import { firstLine, globToRegExp, summarizeError } from './runner.ts';

test('a DisplayHandle sends display_data first and update_display_data with the same display_id after', () => {
  const sent: [DisplayMessage, boolean][] = [];
  const handle = new DisplayHandle((message, update) => sent.push([message, update]));
  handle.show({ 'text/plain': 'a' });
  handle.show({ 'text/plain': 'b' });
  assert.deepEqual(
    sent.map(([, update]) => update),
    [false, true],
  );
  assert.equal(sent[0]![0].transient.display_id, sent[1]![0].transient.display_id);
  assert.equal(sent[1]![0].data['text/plain'], 'b');
});

test('a Vega-Lite bundle carries the spec as an object without $schema, plus SVG and text', () => {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'loss',
    data: { values: [] },
    mark: 'point',
  };
  const bundle = vegaLiteBundle(spec, '<svg/>');
  assert.deepEqual(bundle[VEGA_LITE_MIME], { title: 'loss', data: { values: [] }, mark: 'point' });
  assert.equal(bundle['image/svg+xml'], '<svg/>');
  assert.equal(bundle['text/plain'], '<Vega-Lite chart: loss>');
});

test('tables escape HTML, right-align numbers and format values with CIs', () => {
  const bundle = tableBundle(
    [
      { name: '<b>', acc: { value: 0.5, ci: [0.25, 0.75] } },
      { name: 'x', acc: 1 },
    ],
    { digits: 2 },
  );
  assert.match(
    String(bundle['text/html']),
    /<td>&#60;b&#62;<\/td><td style="text-align:right">0\.50 \[0\.25, 0\.75\]<\/td>/,
  );
  assert.equal(bundle['text/plain'], 'name                acc\n<b>   0.50 [0.25, 0.75]\nx                     1');
});

test('image grids accept PNG/JPEG bytes and name the position of anything else', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
  assert.equal(imageMime(png), 'image/png');
  assert.equal(imageMime(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
  const bundle = imageGridBundle([{ bytes: png, caption: 'Happy' }], { columns: 2, size: 64 });
  assert.match(
    String(bundle['text/html']),
    /grid-template-columns:repeat\(2,64px\).*src="data:image\/png;base64,iVBORw0K".*Happy/,
  );
  assert.doesNotMatch(String(bundle['text/html']), /border:/);
  assert.match(String(imageGridBundle([{ bytes: png, border: 'red' }])['text/html']), /<img [^>]*border:3px solid red/);
  assert.throws(
    () => imageGridBundle([{ bytes: png }, { bytes: Uint8Array.from([1, 2, 3, 4]) }]),
    (error: Error) => error instanceof UserError && /image 1 is not PNG/.test(error.message),
  );
});

test('notebookParams takes the profile from the environment and typed overrides, and rejects unknown names', () => {
  const profiles = {
    quick: { epochs: 1, augment: false, arch: 'cnn' },
    full: { epochs: 30, augment: true, arch: 'cnn' },
  };
  assert.deepEqual(notebookParams(profiles, {}), { epochs: 30, augment: true, arch: 'cnn', profile: 'full' });
  assert.deepEqual(
    notebookParams(profiles, { PERCEPT_PROFILE: 'quick', PERCEPT_PARAMS: '{"epochs":"3","augment":"true"}' }),
    { epochs: 3, augment: true, arch: 'cnn', profile: 'quick' },
  );
  assert.throws(
    () => notebookParams(profiles, { PERCEPT_PARAMS: '{"epoch":"3"}' }),
    /no parameter 'epoch'. Valid: epochs, augment, arch/,
  );
  assert.throws(() => notebookParams(profiles, { PERCEPT_PARAMS: '{"epochs":"many"}' }), /epochs=many is not a number/);
  assert.throws(() => notebookParams(profiles, { PERCEPT_PROFILE: 'fast' }), /PERCEPT_PROFILE=fast is not a profile/);
});

test('failed-cell summaries: TypeScript diagnostics, thrown errors, and the first source line', () => {
  assert.equal(
    summarizeError("1:5 - Type 'string' is not assignable to type 'number'.\n"),
    "TypeScript: 1:5 - Type 'string' is not assignable to type 'number'.",
  );
  const stack =
    "evalmachine.<anonymous>:2\nthrow new TypeError('bad');\n^\n\nTypeError: bad\n    at evalmachine.<anonymous>:2:7\n";
  assert.equal(summarizeError(stack), 'TypeError: bad');
  assert.equal(firstLine('\n\n  const a = 1;\nconst b = 2;'), 'const a = 1;');
});

test('--only globs match file names', () => {
  assert.ok(globToRegExp('0[1-3]*').test('02-resnet.ipynb'));
  assert.ok(!globToRegExp('0[1-3]*').test('04-vgg.ipynb'));
  assert.ok(globToRegExp('0?-data.ipynb').test('00-data.ipynb'));
  assert.ok(!globToRegExp('*.ipynb').test('x.ipynbx'));
});

test("the kernelspec runs this project's tslab with tslab's own argv", () => {
  const spec = tslabKernelSpec('/p', '/usr/bin/node');
  assert.deepEqual(spec.argv, [
    '/usr/bin/node',
    '/p/node_modules/tslab/bin/tslab',
    'kernel',
    '--config-path',
    '{connection_file}',
  ]);
  assert.equal(spec.language, 'typescript');
});

test('the bundle is stale when a file is missing or an input is newer than the bundle', () => {
  const root = mkdtempSync(join(tmpdir(), 'percept-stamp-'));
  try {
    mkdirSync(join(root, 'dist', 'types', 'notebook'), { recursive: true });
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), '');
    assert.equal(staleReason(root), `${BUNDLE_PATHS.bundle} missing`);
    for (const file of Object.values(BUNDLE_PATHS))
      writeFileSync(join(root, file), file === BUNDLE_PATHS.stamp ? '{"inputs":["src/a.ts"]}' : '');
    utimesSync(join(root, 'src', 'a.ts'), new Date(1000), new Date(1000));
    assert.equal(staleReason(root), undefined);
    utimesSync(join(root, 'src', 'a.ts'), new Date(), new Date(Date.now() + 60_000));
    assert.equal(staleReason(root), 'src/a.ts changed');
    rmSync(join(root, 'src', 'a.ts'));
    assert.equal(staleReason(root), 'src/a.ts removed');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
