import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatResults, matchesGlob, ratioOf, runCase } from './harness.ts';
import type { BenchCase } from './case.ts';

const quiet = { profile: 'quick' as const, python: undefined, keep: false, log: () => {} };

test('ratios are oriented so that > 1 means percept is better', () => {
  assert.equal(ratioOf(50, 25, true), 2);
  assert.equal(ratioOf(2, 4, false), 2);
});

test('--only globs: * stays within a path segment, ** crosses them', () => {
  assert.ok(matchesGlob('train/small_cnn/32', 'train/**'));
  assert.ok(matchesGlob('train/small_cnn/32', 'train/*/32'));
  assert.ok(!matchesGlob('train/small_cnn/32', 'train/*'));
  assert.ok(matchesGlob('data/decode/96', 'data/decode/96'));
  assert.ok(!matchesGlob('data/decode/960', 'data/decode/96'));
});

test('a case reports percept, every peer and the ratios; a failing peer is unavailable with its reason, not fatal', async () => {
  const benchCase: BenchCase = {
    name: 'harness/check',
    unit: 'images/s',
    higherIsBetter: true,
    percept: async (context) => {
      assert.equal(context.profile, 'quick');
      return 30;
    },
    peers: {
      keras: async () => 40,
      broken: async () => {
        throw new Error('no python');
      },
    },
  };
  const result = await runCase(benchCase, quiet);
  assert.deepEqual(result.peers, { keras: 40, broken: null });
  assert.equal(result.ratio['keras'], 0.75);
  assert.equal(result.ratio['broken'], null);
  assert.deepEqual(result.unavailable, { broken: 'no python' });
  const table = formatResults([result]);
  assert.match(table, /harness\/check\s+images\/s\s+30\.0\s+keras\s+40\.0\s+0\.75x/);
  assert.match(table, /broken\s+n\/a\s+n\/a/);
});
