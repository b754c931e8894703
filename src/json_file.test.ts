import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { parseJsonOrUndefined, readJsonFile, readJsonOrUndefined } from './json_file.ts';

const STAMP = z.looseObject({ inputs: z.array(z.string()), built: z.object({ at: z.string() }) });

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'percept-json-'));
}

test('readJsonFile: a missing, malformed or off-schema file is a UserError naming the file, the field and the fix', () => {
  const dir = scratch();
  try {
    const file = join(dir, 'stamp.json');
    const fails = (pattern: RegExp) => (error: unknown) =>
      error instanceof UserError && pattern.test(error.message) && error.message.endsWith('Fix: rebuild it');
    assert.throws(() => readJsonFile(file, STAMP, 'rebuild it'), fails(/stamp\.json: cannot be read \(ENOENT\)/));
    writeFileSync(file, '{"inputs": [');
    assert.throws(() => readJsonFile(file, STAMP, 'rebuild it'), fails(/stamp\.json: not valid JSON/));
    writeFileSync(file, JSON.stringify({ inputs: ['a.ts', 3], built: {} }));
    assert.throws(
      () => readJsonFile(file, STAMP, 'rebuild it'),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        const lines = error.message.split('\n');
        assert.match(lines[0]!, /stamp\.json: inputs\.1: .*string/);
        assert.match(lines[1]!, /stamp\.json: built\.at: .*string/);
        assert.equal(lines.at(-1), 'Fix: rebuild it');
        return true;
      },
    );
    writeFileSync(file, JSON.stringify({ inputs: ['a.ts'], built: { at: 'now' }, extra: 1 }));
    assert.deepEqual(readJsonFile(file, STAMP, 'rebuild it'), { inputs: ['a.ts'], built: { at: 'now' }, extra: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readJsonOrUndefined: a file percept wrote for itself reads back, and any damage reads as undefined (the work is redone)', () => {
  const dir = scratch();
  try {
    const file = join(dir, 'marker.json');
    assert.equal(readJsonOrUndefined(file, STAMP), undefined);
    writeFileSync(file, '{"inputs": ["a.ts"], "built": {"at": "no');
    assert.equal(readJsonOrUndefined(file, STAMP), undefined);
    writeFileSync(file, JSON.stringify({ inputs: 'a.ts', built: { at: 'now' } }));
    assert.equal(readJsonOrUndefined(file, STAMP), undefined);
    writeFileSync(file, JSON.stringify({ inputs: ['a.ts'], built: { at: 'now' } }));
    assert.deepEqual(readJsonOrUndefined(file, STAMP), { inputs: ['a.ts'], built: { at: 'now' } });
    assert.deepEqual(parseJsonOrUndefined('{"inputs": [], "built": {"at": "x"}}', STAMP), {
      inputs: [],
      built: { at: 'x' },
    });
    assert.equal(parseJsonOrUndefined('', STAMP), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
