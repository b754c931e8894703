import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeFaces } from '../data/index.ts';
import { tempDir } from '../data/test_fixtures.ts';
import { readRun } from '../runs/run_files.ts';

// The defects these tests reproduce were found by running `percept` as a user does, so each test runs it as a process.
const BIN = new URL('./bin.mjs', import.meta.url).pathname;
const ENV = { ...process.env, FORCE_COLOR: '0', PERCEPT_QUIET_BACKEND: '1' };
const root = tempDir('percept-run-safety-');
const synth = join(root, 'synth');

interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function percept(...args: string[]): Finished {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: ENV });
}

/** `percept` started in the background: its process and what it printed once it ends. */
function start(...args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

/** A tiny classification config on the synthetic faces (4 epochs of ~1 s), written to `<root>/<file>.json`. */
function config(file: string, fields: Record<string, unknown> = {}): string {
  const path = join(root, `${file}.json`);
  const base = {
    name: 'tiny',
    seed: 5,
    data: { format: 'affectnet', path: synth, imageSize: 24 },
    model: { arch: 'simple_cnn', head: { dense: [16] } },
    train: { batchSize: 8, epochs: 4 },
  };
  writeFileSync(path, JSON.stringify({ ...base, ...fields }));
  return path;
}

async function waitFor(file: string, child: { exitCode: number | null }): Promise<void> {
  while (!existsSync(file) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(existsSync(file), `${file} never appeared`);
}

before(async () => {
  await synthesizeFaces({ out: synth, n: 48, size: 32, seed: 2 });
});

after(() => rmSync(root, { recursive: true, force: true }));

test("a config name of '..', '.', '' or with a slash exits 1 naming `name` in the config, and neither --out nor its parent loses a file", () => {
  const parent = join(root, 'x');
  const out = join(parent, 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(parent, 'other.txt'), 'mine');
  writeFileSync(join(out, 'keep.txt'), 'mine');
  for (const [name, flags] of [
    ['..', []],
    ['.', ['--force']],
    ['', []],
    ['a/b', []],
  ] as const) {
    const file = config('bad-name', { name });
    const result = percept('train', file, '--out', out, ...flags);
    assert.equal(result.status, 1, `${name}: ${result.stderr}`);
    assert.match(result.stderr, /bad-name\.json: name: .*e\.g\. "mobilenetv2_finetune"/, name);
    assert.deepEqual(readdirSync(parent).sort(), ['other.txt', 'out']);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
  }
});

test('a folder or a file at OUT/<name> that percept did not mark as a run is refused, even with --force, and nothing in it is deleted', () => {
  const out = join(root, 'foreign');
  mkdirSync(join(out, 'tiny'), { recursive: true });
  writeFileSync(join(out, 'tiny', 'notes.txt'), 'mine');
  writeFileSync(join(out, 'tiny', 'config.json'), '{}');
  const folder = percept('train', config('foreign'), '--out', out, '--force');
  assert.equal(folder.status, 1, folder.stderr);
  assert.match(
    folder.stderr,
    /tiny: is not a percept run folder \(no \.percept-run\.json\) and holds notes\.txt; .*Fix: choose another "name" in .*foreign\.json or another --out, or move/,
  );
  assert.deepEqual(readdirSync(join(out, 'tiny')).sort(), ['config.json', 'notes.txt']);

  const plain = join(root, 'plain');
  mkdirSync(plain);
  writeFileSync(join(plain, 'tiny'), 'a file');
  const file = percept('train', config('plain'), '--out', plain, '--force');
  assert.equal(file.status, 1, file.stderr);
  assert.match(file.stderr, /plain\/tiny: is a file, not a run folder; percept does not replace it/);
  assert.ok(existsSync(join(plain, 'tiny')));
});

test('a run named like the dataset it trains on, or like its own weights, is refused before any work, naming both', async () => {
  const out = join(root, 'named-data');
  await synthesizeFaces({ out: join(out, 'faces'), n: 45, size: 32, seed: 4 });
  const result = percept(
    'train',
    config('faces', { name: 'faces', data: { format: 'affectnet', path: join(out, 'faces'), imageSize: 24 } }),
    '--out',
    out,
  );
  assert.equal(result.status, 1, result.stderr);
  assert.match(
    result.stderr,
    /faces\.json: the run folder \S+named-data\/faces is data\.path \S+named-data\/faces, which training would write into or clean/,
  );
  assert.doesNotMatch(result.stdout, /epoch /);
  assert.equal(readdirSync(join(out, 'faces', 'images')).length, 45);

  const self = percept('train', config('self', { model: { arch: 'simple_cnn', weights: 'run:tiny' } }), '--out', out);
  assert.equal(self.status, 1, self.stderr);
  assert.match(self.stderr, /the run folder \S+\/tiny contains model\.weights \S+\/tiny\/model/);
});

test('--out that is a file, or lies under one, is a user error before any work', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  for (const out of [file, join(file, 'runs')]) {
    const result = percept('train', config('out-file'), '--out', out);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /--out \S+: .*a-file is a file, not a folder\. Fix:/);
    assert.doesNotMatch(result.stderr, /internal error/);
    assert.doesNotMatch(result.stdout, /epoch /);
  }
});

test('two percept train of one config into one --out started together: one trains, the other is refused naming the PID that holds the lock', async () => {
  const out = join(root, 'together');
  const file = config('together');
  const [a, b] = [start('train', file, '--out', out), start('train', file, '--out', out)];
  const results = await Promise.all([a.done, b.done]);
  const winner = results.findIndex((result) => result.status === 0);
  assert.ok(winner >= 0, results.map((result) => result.stderr).join('\n'));
  const loser = results[1 - winner]!;
  assert.equal(loser.status, 1, loser.stderr);
  assert.match(
    loser.stderr,
    new RegExp(
      `tiny: another percept is writing this run: PID ${[a, b][winner]!.child.pid} on \\S+ \\(since .*Fix: wait for it to finish`,
    ),
  );
  assert.doesNotMatch(loser.stderr, /internal error/);
  assert.match(results[winner]!.stdout, /^finished /m);
  assert.equal(readRun(join(out, 'tiny')).history!.epochs.length, 4);
  assert.ok(!existsSync(join(out, 'tiny', '.percept-lock.json')), 'the lock is released');

  const again = percept('train', file, '--out', out);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^reused /m);
});

test("a run folder from before the marker is adopted and reused; --force removes stale run files and keeps the user's", () => {
  const out = join(root, 'together');
  const file = config('together');
  rmSync(join(out, 'tiny', '.percept-run.json'));
  const adopted = percept('train', file, '--out', out);
  assert.equal(adopted.status, 0, adopted.stderr);
  assert.match(
    adopted.stderr,
    /tiny: a run folder from before \.percept-run\.json \(only percept's run files\): adopted and marked/,
  );
  assert.match(adopted.stdout, /^reused /m);
  assert.ok(existsSync(join(out, 'tiny', '.percept-run.json')));

  writeFileSync(join(out, 'tiny', 'notes.txt'), 'mine');
  writeFileSync(join(out, 'tiny', 'examples', '99_stale.png'), 'an old thumbnail');
  const forced = percept('train', file, '--out', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /tiny: kept notes\.txt \(not percept's\)/);
  assert.ok(existsSync(join(out, 'tiny', 'notes.txt')));
  assert.ok(!existsSync(join(out, 'tiny', 'examples', '99_stale.png')));
  assert.equal(readRun(join(out, 'tiny')).history!.epochs.length, 4);
});

test('report -o under a file, onto a folder named x.pdf, or with --html onto a folder x.html: exit 1 before anything is written', () => {
  const run = join(root, 'together', 'tiny');
  const file = join(root, 'report-file');
  writeFileSync(file, 'not a folder');
  const under = percept('report', run, '-o', join(file, 'r.pdf'));
  assert.equal(under.status, 1, under.stderr);
  assert.match(under.stderr, /-o \S+report-file\/r\.pdf: \S+report-file is a file, not a folder/);

  const folders = join(root, 'report-folders');
  mkdirSync(join(folders, 'x.pdf'), { recursive: true });
  mkdirSync(join(folders, 'y.html'));
  const onto = percept('report', run, '-o', join(folders, 'x.pdf'), '--html');
  assert.equal(onto.status, 1, onto.stderr);
  assert.match(onto.stderr, /x\.pdf is a folder, not a file/);
  const html = percept('report', run, '-o', join(folders, 'y.pdf'), '--html');
  assert.equal(html.status, 1, html.stderr);
  assert.match(html.stderr, /\(with --html, \S+y\.html\): \S+y\.html is a folder, not a file/);
  assert.deepEqual(readdirSync(folders).sort(), ['x.pdf', 'y.html']);
  assert.deepEqual(readdirSync(join(folders, 'x.pdf')), []);
  for (const result of [under, onto, html]) assert.doesNotMatch(result.stderr, /internal error/);
});

test('report --help shows -o as optional with the default that report uses without it', () => {
  const help = percept('report', '--help');
  assert.equal(help.status, 0);
  assert.match(
    help.stdout,
    /^Usage: percept report RUN\.\.\. \[-o FILE\.pdf\|FILE\.html \(default reports\/report\.pdf\)\]/,
  );
});

test('SIGINT after the first checkpoint exits 130, names the kept epoch and checkpoint, and the command it prints resumes the run', async () => {
  const out = join(root, 'interrupted');
  const file = config('interrupted');
  const run = start('train', file, '--out', out);
  await waitFor(join(out, 'tiny', 'checkpoint', 'latest.json'), run.child);
  run.child.kill('SIGINT');
  const stopped = await run.done;
  assert.equal(stopped.status, 130, stopped.stderr);
  const kept =
    /interrupted \(SIGINT\): \S+\/tiny keeps the checkpoint of epoch (\d) \((\S+)\)\.\nResume with: (.*)\n/.exec(
      stopped.stderr,
    );
  assert.ok(kept !== null, stopped.stderr);
  assert.ok(existsSync(kept[2]!), kept[2]);
  assert.equal(kept[3], `percept train ${file} --out ${out} --resume`);
  assert.ok(!existsSync(join(out, 'tiny', '.percept-lock.json')), 'the lock is released');

  const resumed = percept(...kept[3].split(' ').slice(1), '--json');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal((JSON.parse(resumed.stdout) as { resumedFrom: number }).resumedFrom, Number(kept[1]));
  assert.equal(readRun(join(out, 'tiny')).history!.epochs.length, 4);
});

test('the lock of a percept killed with SIGKILL is taken over by the next run, with a line saying so', async () => {
  const out = join(root, 'killed');
  const file = config('killed');
  const run = start('train', file, '--out', out);
  await waitFor(join(out, 'tiny', 'checkpoint', 'latest.json'), run.child);
  run.child.kill('SIGKILL');
  assert.equal((await run.done).signal, 'SIGKILL');
  assert.ok(existsSync(join(out, 'tiny', '.percept-lock.json')), 'a killed process cannot release its lock');

  const resumed = percept('train', file, '--out', out, '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    new RegExp(`tiny: took over the lock of PID ${run.child.pid} on \\S+ \\(since [^)]+\\), which no longer runs`),
  );
  assert.ok(!existsSync(join(out, 'tiny', '.percept-lock.json')));
});
