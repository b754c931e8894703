/**
 * The offline install path of the native backend (DESIGN.md §5).
 *
 * tfjs-node's install script downloads libtensorflow 2.9.1 from a host this workplace (and many firewalled
 * networks) cannot reach; npm then drops the optional dependency. The same C library ships inside PyPI's
 * `tensorflow-cpu` wheel (`libtensorflow_cc.so.2` exports the TF_* / TFE_* C API, tensorflow/tf_version_script.lds).
 * This module downloads that wheel once through pip (its cache), extracts the two libraries and the C headers
 * into a per-user cache, places them where tfjs-node's binding.gyp looks (`deps/lib`, `deps/include`) and
 * builds the binding with node-gyp, with percept's extension (graph functions, batched image decode) compiled in (src/setup/binding_extension.ts).
 * Where a working binding with the extension exists, it does nothing.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { addBindingExtension } from './binding_extension.ts';
import { projectRoot, userCacheDir } from './paths.ts';

/** The libtensorflow that tfjs-node 4.x was built for; wheels closest to it are preferred. */
export const TFJS_NODE_LIBTENSORFLOW = '2.9.1';

/**
 * tensorflow-cpu wheel per CPython minor version: the release closest to 2.9.1 that publishes a wheel for it
 * (PyPI: 2.9.x covers cp37-cp310, the first cp311 wheels are 2.12, the first cp312 wheels 2.16).
 */
const WHEEL_FOR_PYTHON: Record<string, string> = {
  '3.8': '2.9.1',
  '3.9': '2.9.1',
  '3.10': '2.9.1',
  '3.11': '2.12.1',
  '3.12': '2.16.2',
};

export interface NativeStatus {
  ok: boolean;
  /** libtensorflow version reported by the binding, when it loads. */
  tfVersion?: string;
  /** Whether the binding has all of percept's extension (src/setup/binding_extension.ts): graph functions, batched decode. */
  extension?: boolean;
  /** One line: why it does not load. */
  error?: string;
}

export interface SetupLog {
  (line: string): void;
}

/** Where a wheel's libtensorflow came from, written next to the placed library for `doctor`. */
interface NativeSource {
  wheel: string;
  python: string;
  builtAt: string;
}

const SOURCE_FILE = 'percept-source.json';

function tfjsNodeDir(root: string): string {
  return join(root, 'node_modules', '@tensorflow', 'tfjs-node');
}

function run(command: string, args: string[], options: SpawnSyncOptions = {}): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Loads tfjs-node in a child process (a broken binding can abort the process that loads it). */
export function probeNative(root = projectRoot()): NativeStatus {
  const script = `
    process.env.TF_CPP_MIN_LOG_LEVEL = '2';
    const tf = require('@tensorflow/tfjs-node');
    tf.add(tf.scalar(1), tf.scalar(1)).dataSync();
    const binding = tf.backend().binding;
    process.stdout.write(JSON.stringify({ tfVersion: binding.TF_Version, extension: ['registerGraphFunction', 'decodeResizeImages'].every((name) => typeof binding[name] === 'function') }));`;
  const result = run(process.execPath, ['-e', script], { cwd: root });
  if (result.status === 0) {
    const { tfVersion, extension } = JSON.parse(result.output.trim().split('\n').pop() ?? '{}') as { tfVersion: string; extension: boolean };
    return { ok: true, tfVersion, extension };
  }
  const message = result.output.split('\n').find((line) => /Error|error:/.test(line)) ?? tail(result.output, 1);
  return { ok: false, error: message.trim() };
}

function pinnedTfjsNodeVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    optionalDependencies?: Record<string, string>;
  };
  const version = manifest.optionalDependencies?.['@tensorflow/tfjs-node'];
  if (version === undefined) throw new Error("package.json lacks optionalDependencies['@tensorflow/tfjs-node']");
  return version;
}

function npmCommand(): { command: string; prefix: string[] } {
  // Inside npm scripts npm_execpath names npm's own CLI; elsewhere use npm from PATH.
  const execPath = process.env['npm_execpath'];
  return execPath !== undefined && execPath.endsWith('.js') ? { command: process.execPath, prefix: [execPath] } : { command: 'npm', prefix: [] };
}

/** npm removes an optional dependency whose install script failed; fetch the same tarball from the registry again. */
function ensureTfjsNodePackage(root: string, log: SetupLog): void {
  const target = tfjsNodeDir(root);
  if (existsSync(join(target, 'package.json'))) return;
  const version = pinnedTfjsNodeVersion(root);
  log(`fetching @tensorflow/tfjs-node@${version} from the npm registry (npm dropped it when its libtensorflow download failed)`);
  const packDir = userCacheDir('npm-pack');
  mkdirSync(packDir, { recursive: true });
  const npm = npmCommand();
  const packed = run(npm.command, [...npm.prefix, 'pack', `@tensorflow/tfjs-node@${version}`, '--pack-destination', packDir, '--silent'], { cwd: root });
  const tarball = join(packDir, `tensorflow-tfjs-node-${version}.tgz`);
  if (packed.status !== 0 || !existsSync(tarball)) {
    throw new UserError(`cannot fetch @tensorflow/tfjs-node@${version} with npm pack: ${tail(packed.output, 3)}. Fix: check access to the npm registry, then run npx percept setup`);
  }
  mkdirSync(target, { recursive: true });
  const extracted = run('tar', ['xzf', tarball, '-C', target, '--strip-components=1']);
  if (extracted.status !== 0) throw new Error(`tar failed on ${tarball}: ${extracted.output}`);
}

/** `python3`, or PERCEPT_PYTHON; a missing interpreter is one line with the fix. */
export function findPython(): { command: string; version: string } {
  const command = process.env['PERCEPT_PYTHON'] ?? 'python3';
  const result = run(command, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (result.status !== 0) {
    throw new UserError(
      `no Python found ('${command}': ${tail(result.output, 1) || 'not on PATH'}). The offline native install takes libtensorflow from PyPI's tensorflow-cpu wheel through pip. ` +
        'Fix: install Python 3 with pip (apt-get install python3 python3-pip) or set PERCEPT_PYTHON to one.',
    );
  }
  return { command, version: result.output.trim() };
}

/** The tensorflow-cpu version pinned for a CPython minor version. */
export function wheelVersionFor(pythonVersion: string): string {
  const version = WHEEL_FOR_PYTHON[pythonVersion];
  if (version === undefined) {
    throw new UserError(
      `no tensorflow-cpu wheel is pinned for Python ${pythonVersion} (pinned: ${Object.keys(WHEEL_FOR_PYTHON).join(', ')}). Fix: set PERCEPT_PYTHON to one of those Pythons.`,
    );
  }
  return version;
}

// Headers that tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h include, as laid out in the wheel.
const WHEEL_MEMBERS_SCRIPT = `
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
keep_prefixes = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/tsl/c/',
                 'tensorflow/include/tensorflow/tsl/platform/', 'tensorflow/include/tensorflow/core/platform/')
libs = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    missing = [l for l in libs if l not in names]
    if missing:
        sys.exit('wheel lacks ' + ', '.join(missing))
    for name in names:
        if name in libs or (name.startswith(keep_prefixes) and name.endswith('.h')):
            rel = name[len('tensorflow/'):]
            rel = 'lib/' + os.path.basename(rel) if name in libs else rel
            dest = os.path.join(out, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with z.open(name) as src, open(dest, 'wb') as dst:
                while True:
                    chunk = src.read(1 << 22)
                    if not chunk:
                        break
                    dst.write(chunk)
`;

/** Downloads the wheel once (pip's cache) and extracts lib/ + include/ into the per-user cache; returns that folder. */
export function ensureLibtensorflow(python: { command: string; version: string }, log: SetupLog): { dir: string; wheel: string } {
  const version = wheelVersionFor(python.version);
  const wheel = `tensorflow-cpu==${version}`;
  const dir = userCacheDir('libtensorflow', `tensorflow-cpu-${version}-py${python.version}`);
  if (existsSync(join(dir, 'lib', 'libtensorflow_cc.so.2'))) return { dir, wheel };
  const download = userCacheDir('wheels');
  log(`downloading ${wheel} with pip (about 230 MB, once; pip caches it) for its libtensorflow`);
  const fetched = run(python.command, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', download, wheel], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (fetched.status !== 0) {
    throw new UserError(`pip could not download ${wheel} for Python ${python.version}: ${tail(fetched.output, 3)}. Fix: check access to PyPI (or a mirror in pip.conf), then run npx percept setup`);
  }
  const file = run(python.command, ['-c', `import glob,sys; print(sorted(glob.glob(sys.argv[1]))[-1])`, join(download, `tensorflow_cpu-${version}-*.whl`)]).output.trim();
  log(`extracting libtensorflow ${version} and its C headers from ${file}`);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const extracted = run(python.command, ['-c', WHEEL_MEMBERS_SCRIPT, file, staging]);
  if (extracted.status !== 0) throw new Error(`extracting ${file} failed: ${tail(extracted.output)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(staging, dir);
  return { dir, wheel };
}

/** Hard link when the cache is on the same file system (no 580 MB copy per clone), copy otherwise. */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Places the libraries as tfjs-node's build expects: `-ltensorflow -ltensorflow_framework` from deps/lib, and the
 * `libtensorflow.so.2.9.1` name that makes tfjs-node's own install script skip its download on a later `npm rebuild`.
 */
function placeLibtensorflow(libDir: string, target: string): void {
  const deps = join(target, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) linkOrCopy(join(libDir, 'lib', name), join(deps, 'lib', name));
  symlinkSync('libtensorflow_cc.so.2', join(deps, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_cc.so.2', join(deps, 'lib', `libtensorflow.so.${TFJS_NODE_LIBTENSORFLOW}`));
  symlinkSync('libtensorflow_framework.so.2', join(deps, 'lib', 'libtensorflow_framework.so'));
  cpSync(join(libDir, 'include'), join(deps, 'include'), { recursive: true });
}

function nodeGypCommand(): string[] {
  const fromNpm = process.env['npm_config_node_gyp'];
  const candidates = [fromNpm, resolve(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
  const found = candidates.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));
  if (found === undefined) throw new UserError('node-gyp not found (npm ships it). Fix: reinstall npm, or run npx percept setup from an npm script');
  return [process.execPath, found];
}

/** Node's headers: the ones installed next to this node binary, so node-gyp needs no download. */
function nodeHeadersDir(): string | undefined {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** The N-API build version node-pre-gyp would pick: the highest that both Node and tfjs-node support. */
function napiBuildVersion(target: string): number {
  const manifest = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as { binary: { napi_versions: number[] } };
  const supported = Number(process.versions.napi);
  return Math.max(...manifest.binary.napi_versions.filter((version) => version <= supported));
}

function buildBinding(target: string, log: SetupLog): void {
  const napi = napiBuildVersion(target);
  const modulePath = join(target, 'lib', `napi-v${napi}`);
  const [node, gyp] = nodeGypCommand();
  const headers = nodeHeadersDir();
  log(`building tfjs-node's binding against it (node-gyp, N-API ${napi})`);
  const args = [gyp!, 'rebuild', '--module_name=tfjs_binding', `--module_path=${modulePath}`, `--napi_build_version=${napi}`];
  if (headers !== undefined) args.push(`--nodedir=${headers}`);
  const built = run(node!, args, { cwd: target });
  writeFileSync(join(target, 'percept-build.log'), built.output);
  if (built.status !== 0) {
    rmSync(modulePath, { recursive: true, force: true });
    throw new Error(`building tfjs-node's binding failed (full log: ${join(target, 'percept-build.log')}):\n${tail(built.output)}`);
  }
}

/** What `doctor` shows: where the placed libtensorflow came from, if percept placed it. */
export function nativeSource(root = projectRoot()): NativeSource | undefined {
  const file = join(tfjsNodeDir(root), 'deps', SOURCE_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as NativeSource) : undefined;
}

export interface EnsureNativeOptions {
  /** Rebuild even when a working binding is found. */
  rebuild?: boolean;
  log: SetupLog;
}

/**
 * Makes `require('@tensorflow/tfjs-node')` work offline, or throws saying exactly which step failed.
 * Returns the status after the attempt.
 */
export function ensureNativeBackend({ rebuild = false, log }: EnsureNativeOptions): NativeStatus {
  const root = projectRoot();
  if (!rebuild) {
    const status = probeNative(root);
    if (status.ok && status.extension === true) return status;
    log(status.ok ? "native backend lacks (part of) percept's extension (built by an older percept, or by tfjs-node's own install); rebuilding it" : `native backend not usable yet (${status.error})`);
  }
  ensureTfjsNodePackage(root, log);
  const python = findPython();
  const { dir, wheel } = ensureLibtensorflow(python, log);
  const target = tfjsNodeDir(root);
  placeLibtensorflow(dir, target);
  addBindingExtension(target, root);
  buildBinding(target, log);
  const source: NativeSource = { wheel, python: python.version, builtAt: new Date().toISOString() };
  writeFileSync(join(target, 'deps', SOURCE_FILE), JSON.stringify(source, null, 2) + '\n');
  const status = probeNative(root);
  if (!status.ok) throw new Error(`tfjs-node was built against ${wheel} but does not load: ${status.error}`);
  return status;
}
