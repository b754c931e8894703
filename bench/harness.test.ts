import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { formatResults, matchesGlob, ratioOf, runCase } from './harness.ts';
import type { BenchCase } from './case.ts';
import { needsPython, needsTorch } from '../src/testing.ts';

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

const BIN = new URL('../src/cli/bin.mjs', import.meta.url).pathname;

test('percept bench --only with no matching case is a user error listing the cases', () => {
  const result = spawnSync(process.execPath, [BIN, 'bench', '--only', 'nothing/*'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /--only nothing\/\* matches no case\. Cases: train\/mobilenet_v2\/96, train\/simple_cnn\/32/);
});

// torch is opt-in (needsTorch): npm test's set-up does not install it.
for (const [peer, requirement] of [['keras', needsPython('tensorflow')], ['torch', needsTorch()]] as const) {
  test(`percept bench --peer ${peer} runs a real case and prints the JSON contract`, requirement, () => {
    const result = spawnSync(process.execPath, [BIN, 'bench', '--only', 'train/simple_cnn/32', '--peer', peer, '--profile', 'quick', '--json'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const { cases } = JSON.parse(result.stdout) as { cases: { case: string; unit: string; percept: number; peers: Record<string, number>; ratio: Record<string, number> }[] };
    assert.equal(cases.length, 1);
    const [measured] = cases;
    assert.equal(measured!.case, 'train/simple_cnn/32');
    assert.equal(measured!.unit, 'images/s');
    assert.deepEqual(Object.keys(measured!.peers), [peer]);
    assert.ok(measured!.percept > 0 && measured!.peers[peer]! > 0);
    assert.ok(Math.abs(measured!.ratio[peer]! - measured!.percept / measured!.peers[peer]!) < 1e-9);
  });
}
