/**
 * The offline install path of the native backend (docs/ARCHITECTURE.md §5), for tfjs-node and, with src/setup/gpu_backend.ts,
 * for tfjs-node-gpu (the same package but for its name and install script).
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
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseJsonOrUndefined, readJsonFile, readJsonOrUndefined } from '../json_file.ts';
import { addBindingExtension } from './binding_extension.ts';
import { projectRoot, userCacheDir } from '../paths.ts';

/** The libtensorflow that tfjs-node 4.x was built for; wheels closest to it are preferred. */
export const TFJS_NODE_LIBTENSORFLOW = '2.9.1';

/**
 * The one TensorFlow release behind both native builds (CPU: `tensorflow-cpu`, GPU: `tensorflow` with its CUDA
 * wheels) and the Keras peer: 2.16.2 is the first with native Hopper (sm_90) code, exports the C API tfjs-node's
 * binding calls with 2.12's prototypes, and trained 11-13% faster than 2.12.1 on this project's 2-core CPU
 * (train/mobilenet_v2/96 and train/resnet50/224, same run).
 */
export const TENSORFLOW_VERSION = '2.16.2';

/**
 * The CPython whose wheels hold the C library, whatever Python runs pip: the library does not need libpython, and
 * one pinned wheel keeps every machine on the same bytes (the cp38-cp310 wheels of older releases lacked
 * libtensorflow_cc.so.2).
 */
export const LIBRARY_WHEEL_PYTHON = '3.11';

/** The CPython versions that PyPI has tensorflow 2.16.2 wheels for: the Keras peer's venv needs one of them. */
const KERAS_PYTHONS = ['3.9', '3.10', '3.11', '3.12'];

/** The two packages of tfjs's native binding; percept builds either against a libtensorflow from PyPI. */
export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
export const CPU_PACKAGE: NativePackage = '@tensorflow/tfjs-node';
export const GPU_PACKAGE: NativePackage = '@tensorflow/tfjs-node-gpu';

export interface NativeStatus {
  ok: boolean;
  /** Whether TensorFlow placed the probe's op on a GPU (tfjs-node's isUsingGpuDevice). */
  gpu?: boolean;
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
const NATIVE_SOURCE = z.looseObject({
  wheel: z.string(),
  python: z.string(),
  builtAt: z.string(),
  /** The CUDA libraries placed beside it (the GPU build): PyPI package name to version. */
  cuda: z.record(z.string(), z.string()).optional(),
});
export type NativeSource = z.infer<typeof NATIVE_SOURCE>;

/** A libtensorflow extracted from a wheel: the folder with lib/ and include/ (and nvidia/ for the GPU build). */
export interface Libtensorflow {
  dir: string;
  wheel: string;
  cuda?: Record<string, string>;
}

const SOURCE_FILE = 'percept-source.json';

export function packageDir(root: string, packageName: NativePackage): string {
  return join(root, 'node_modules', ...packageName.split('/'));
}

export function run(
  command: string,
  args: string[],
  options: SpawnSyncOptions = {},
): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) return { status: null, output: result.error.message };
  return { status: result.status, output: `${String(result.stdout ?? '')}${String(result.stderr ?? '')}` };
}

export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * The probe's answer: the last line of its output that is a JSON object. TensorFlow's C++ logging shares the
 * stream (GPU builds print cuFFT/cuDNN/cuBLAS factory notices at level 2, even after the answer), so the last line
 * may be one of those.
 */
/** What the probe process prints as its last JSON line. */
const PROBE_ANSWER = z.object({ tfVersion: z.string(), extension: z.boolean(), gpu: z.boolean() });

export function probeAnswer(output: string): { tfVersion: string; extension: boolean; gpu: boolean } | undefined {
  const line = output
    .split('\n')
    .map((text) => text.trim())
    .reverse()
    .find((text) => text.startsWith('{') && text.endsWith('}'));
  return line === undefined ? undefined : parseJsonOrUndefined(line, PROBE_ANSWER);
}

/** Loads a tfjs-node package in a child process (a broken binding can abort the process that loads it). */
export function probeNative(root = projectRoot(), packageName: NativePackage = CPU_PACKAGE): NativeStatus {
  const script = `
    process.env.TF_CPP_MIN_LOG_LEVEL = '2';
    process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
    const tf = require(${JSON.stringify(packageName)});
    tf.add(tf.scalar(1), tf.scalar(1)).dataSync();
    const backend = tf.backend();
    const binding = backend.binding;
    const extension = ['registerGraphFunction', 'decodeResizeBatch'].every((name) => typeof binding[name] === 'function');
    process.stdout.write('\\n' + JSON.stringify({ tfVersion: binding.TF_Version, extension, gpu: backend.isUsingGpuDevice === true }) + '\\n');`;
  const result = run(process.execPath, ['-e', script], { cwd: root });
  const answer = result.status === 0 ? probeAnswer(result.output) : undefined;
  if (answer !== undefined) return { ok: true, ...answer };
  const message = result.output.split('\n').find((line) => /Error|error:/.test(line)) ?? tail(result.output, 1);
  return { ok: false, error: message.trim() };
}

function pinnedTfjsNodeVersion(root: string): string {
  const manifest = readJsonFile(
    join(root, 'package.json'),
    z.looseObject({ optionalDependencies: z.record(z.string(), z.string()).optional() }),
    'reinstall percept (npm ci)',
  );
  const version = manifest.optionalDependencies?.['@tensorflow/tfjs-node'];
  if (version === undefined) throw new Error("package.json lacks optionalDependencies['@tensorflow/tfjs-node']");
  return version;
}

function npmCommand(): { command: string; prefix: string[] } {
  // Inside npm scripts npm_execpath names npm's own CLI; elsewhere use npm from PATH.
  const execPath = process.env['npm_execpath'];
  return execPath !== undefined && execPath.endsWith('.js')
    ? { command: process.execPath, prefix: [execPath] }
    : { command: 'npm', prefix: [] };
}

/**
 * Puts the package in node_modules when it is not there: npm removes an optional dependency whose install script
 * failed, and tfjs-node-gpu is never a dependency (its install script always downloads). Both come as the registry's
 * tarball at tfjs-node's pinned version; tfjs-node-gpu's copy gets a no-op install script, so that `npm rebuild` keeps
 * the library percept placed.
 */
function ensureTfjsPackage(root: string, packageName: NativePackage, log: SetupLog): void {
  const target = packageDir(root, packageName);
  if (existsSync(join(target, 'package.json'))) return;
  const version = pinnedTfjsNodeVersion(root);
  log(
    packageName === CPU_PACKAGE
      ? `fetching ${packageName}@${version} from the npm registry (npm dropped it when its libtensorflow download failed)`
      : `fetching ${packageName}@${version} from the npm registry`,
  );
  const packDir = userCacheDir('npm-pack');
  mkdirSync(packDir, { recursive: true });
  const npm = npmCommand();
  const packed = run(
    npm.command,
    [...npm.prefix, 'pack', `${packageName}@${version}`, '--pack-destination', packDir, '--silent'],
    { cwd: root },
  );
  const tarball = join(packDir, `${packageName.slice(1).replace('/', '-')}-${version}.tgz`);
  if (packed.status !== 0 || !existsSync(tarball)) {
    throw new UserError(
      `cannot fetch ${packageName}@${version} with npm pack: ${tail(packed.output, 3)}. Fix: check access to the npm registry, then run npx percept setup`,
    );
  }
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const extracted = run('tar', ['xzf', tarball, '-C', staging, '--strip-components=1']);
  if (extracted.status !== 0) throw new Error(`tar failed on ${tarball}: ${extracted.output}`);
  if (packageName === GPU_PACKAGE) keepGpuBuildOnRebuild(staging);
  renameSync(staging, target);
}

/** The install script percept gives its copy of tfjs-node-gpu: it says where the build comes from and does nothing. */
export const GPU_INSTALL_SCRIPT =
  'echo "@tensorflow/tfjs-node-gpu: built by npx percept setup --gpu from PyPI wheels; nothing to do"';

/**
 * Replaces tfjs-node-gpu's `install` script, which wipes deps/ and downloads a CUDA 11 libtensorflow on every
 * `npm rebuild`. Removing it is not enough: npm then runs `node-gyp rebuild` for a package with a binding.gyp, which
 * fails without node-pre-gyp's variables.
 */
function keepGpuBuildOnRebuild(target: string): void {
  const file = join(target, 'package.json');
  const manifest = readJsonFile(
    file,
    z.looseObject({ scripts: z.record(z.string(), z.string()).optional() }),
    'npx percept setup --gpu --rebuild',
  );
  if (manifest.scripts?.['install'] === GPU_INSTALL_SCRIPT) return;
  manifest.scripts = { ...manifest.scripts, install: GPU_INSTALL_SCRIPT };
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
}

/** `python3`, or PERCEPT_PYTHON; a missing interpreter is one line with the fix. */
export function findPython(): Python {
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

/** The tensorflow-cpu pin of the Keras peer's venv, for a Python that TensorFlow ${TENSORFLOW_VERSION} has wheels for. */
export function kerasTensorflowFor(pythonVersion: string): string {
  if (!KERAS_PYTHONS.includes(pythonVersion)) {
    throw new UserError(
      `the Keras peer needs tensorflow-cpu ${TENSORFLOW_VERSION}, which PyPI has for Python ${KERAS_PYTHONS.join(', ')}, not ${pythonVersion}. Fix: set PERCEPT_PYTHON to one of those Pythons.`,
    );
  }
  return `tensorflow-cpu==${TENSORFLOW_VERSION}`;
}

/** Python that copies one member of a wheel (a zip) to a path, in chunks (the libraries are up to 1 GB). */
export const EXTRACT_MEMBER = `
import sys, zipfile, os

def extract(z, name, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with z.open(name) as src, open(dest, 'wb') as dst:
        while True:
            chunk = src.read(1 << 22)
            if not chunk:
                break
            dst.write(chunk)
`;

// Headers that tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h include, as laid out in the wheel: TensorFlow
// 2.12 keeps tsl under tensorflow/tsl, 2.16 at the top (tsl/), 2.17 also under xla/tsl.
const WHEEL_MEMBERS_SCRIPT = `${EXTRACT_MEMBER}
wheel, out = sys.argv[1], sys.argv[2]
keep_prefixes = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/tsl/c/',
                 'tensorflow/include/tensorflow/tsl/platform/', 'tensorflow/include/tensorflow/core/platform/',
                 'tensorflow/include/tsl/c/', 'tensorflow/include/tsl/platform/',
                 'tensorflow/include/xla/tsl/c/', 'tensorflow/include/xla/tsl/platform/')
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
            extract(z, name, os.path.join(out, rel))
`;

export interface Python {
  command: string;
  version: string;
}

/**
 * Downloads wheels with pip into the per-user wheel folder (pip's cache makes a second download free) and returns
 * the path of each, in order. `targetPython` fetches the wheels of another CPython (the C library in a wheel does
 * not need libpython). `describe` names them in the log.
 */
export function downloadWheels(
  python: Python,
  specs: readonly string[],
  describe: string,
  log: SetupLog,
  targetPython?: string,
): string[] {
  const download = userCacheDir('wheels');
  log(`downloading ${describe} with pip (once; pip caches it)`);
  const platform =
    targetPython === undefined
      ? []
      : [
          '--python-version',
          targetPython,
          ...['manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux1_x86_64'].flatMap((tag) => [
            '--platform',
            tag,
          ]),
        ];
  const fetched = run(
    python.command,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      ...platform,
      '-d',
      download,
      ...specs,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (fetched.status !== 0) {
    throw new UserError(
      `pip could not download ${specs.join(' ')} for Python ${targetPython ?? python.version}: ${tail(fetched.output, 3)}. Fix: check access to PyPI (or a mirror in pip.conf), then run npx percept setup`,
    );
  }
  return specs.map((spec) => {
    const [name, version] = spec.split('==') as [string, string];
    const pattern = join(download, `${name.replaceAll('-', '_')}-${version}-*.whl`);
    return run(python.command, [
      '-c',
      `import glob,sys; print(sorted(glob.glob(sys.argv[1]))[-1])`,
      pattern,
    ]).output.trim();
  });
}

/**
 * Extracts a wheel's libtensorflow and C headers (and, through `extra`, anything more) into `dir` through a staging
 * folder, so that an interrupted extraction never leaves a half library where a whole one is expected.
 */
export function extractLibtensorflow(
  python: Python,
  wheelFile: string,
  dir: string,
  extra: (staging: string) => void = () => {},
): void {
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const extracted = run(python.command, ['-c', WHEEL_MEMBERS_SCRIPT, wheelFile, staging]);
  if (extracted.status !== 0) throw new Error(`extracting ${wheelFile} failed: ${tail(extracted.output)}`);
  extra(staging);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(staging, dir);
}

/** Downloads the wheel once (pip's cache) and extracts lib/ + include/ into the per-user cache; returns that folder. */
export function ensureLibtensorflow(python: Python, log: SetupLog): Libtensorflow {
  const wheel = `tensorflow-cpu==${TENSORFLOW_VERSION}`;
  const dir = userCacheDir('libtensorflow', `tensorflow-cpu-${TENSORFLOW_VERSION}`);
  if (existsSync(join(dir, 'lib', 'libtensorflow_cc.so.2'))) return { dir, wheel };
  const [file] = downloadWheels(
    python,
    [wheel],
    `${wheel} (about 215 MB) for its libtensorflow`,
    log,
    LIBRARY_WHEEL_PYTHON,
  );
  log(`extracting libtensorflow ${TENSORFLOW_VERSION} and its C headers from ${file}`);
  extractLibtensorflow(python, file!, dir);
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
 * CUDA libraries (the GPU build) go to deps/nvidia/<library>/lib, where libtensorflow's RUNPATH
 * (`$ORIGIN/../nvidia/<library>/lib`) finds them without LD_LIBRARY_PATH.
 */
function placeLibtensorflow(libDir: string, target: string): void {
  const deps = join(target, 'deps');
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'])
    linkOrCopy(join(libDir, 'lib', name), join(deps, 'lib', name));
  symlinkSync('libtensorflow_cc.so.2', join(deps, 'lib', 'libtensorflow.so'));
  symlinkSync('libtensorflow_cc.so.2', join(deps, 'lib', `libtensorflow.so.${TFJS_NODE_LIBTENSORFLOW}`));
  symlinkSync('libtensorflow_framework.so.2', join(deps, 'lib', 'libtensorflow_framework.so'));
  cpSync(join(libDir, 'include'), join(deps, 'include'), { recursive: true });
  const nvidia = join(libDir, 'nvidia');
  if (existsSync(nvidia)) linkTree(nvidia, join(deps, 'nvidia'));
}

/** Hard-links (or copies) every file under `from` to the same place under `to`. */
function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) linkTree(join(from, entry.name), join(to, entry.name));
    else linkOrCopy(join(from, entry.name), join(to, entry.name));
  }
}

function nodeGypCommand(): string[] {
  const fromNpm = process.env['npm_config_node_gyp'];
  const candidates = [
    fromNpm,
    resolve(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  const found = candidates.find((candidate): candidate is string => candidate !== undefined && existsSync(candidate));
  if (found === undefined)
    throw new UserError(
      'node-gyp not found (npm ships it). Fix: reinstall npm, or run npx percept setup from an npm script',
    );
  return [process.execPath, found];
}

/** Node's headers: the ones installed next to this node binary, so node-gyp needs no download. */
function nodeHeadersDir(): string | undefined {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** The N-API build version node-pre-gyp would pick: the highest that both Node and tfjs-node support. */
function napiBuildVersion(target: string): number {
  const manifest = readJsonFile(
    join(target, 'package.json'),
    z.looseObject({ binary: z.looseObject({ napi_versions: z.array(z.number().int()) }) }),
    'npm ci (reinstalls tfjs-node)',
  );
  const supported = Number(process.versions.napi);
  return Math.max(...manifest.binary.napi_versions.filter((version) => version <= supported));
}

function buildBinding(target: string, log: SetupLog): void {
  const napi = napiBuildVersion(target);
  const modulePath = join(target, 'lib', `napi-v${napi}`);
  const [node, gyp] = nodeGypCommand();
  const headers = nodeHeadersDir();
  log(`building tfjs-node's binding against it (node-gyp, N-API ${napi})`);
  const args = [
    gyp!,
    'rebuild',
    '--module_name=tfjs_binding',
    `--module_path=${modulePath}`,
    `--napi_build_version=${napi}`,
  ];
  if (headers !== undefined) args.push(`--nodedir=${headers}`);
  const built = run(node!, args, { cwd: target });
  writeFileSync(join(target, 'percept-build.log'), built.output);
  if (built.status !== 0) {
    rmSync(modulePath, { recursive: true, force: true });
    throw new Error(
      `building tfjs-node's binding failed (full log: ${join(target, 'percept-build.log')}):\n${tail(built.output)}`,
    );
  }
}

/** What `doctor` shows: where the placed libtensorflow came from, if percept placed it. */
export function nativeSource(root = projectRoot(), packageName: NativePackage = CPU_PACKAGE): NativeSource | undefined {
  return readJsonOrUndefined(join(packageDir(root, packageName), 'deps', SOURCE_FILE), NATIVE_SOURCE);
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
  return ensureNativePackage(CPU_PACKAGE, ensureLibtensorflow, { rebuild, log });
}

/**
 * Makes `require(packageName)` work offline with the libtensorflow `libtensorflow(python, log)` provides, built with
 * percept's extension; does nothing where a working build with the extension exists (unless `rebuild`).
 */
export function ensureNativePackage(
  packageName: NativePackage,
  libtensorflow: (python: Python, log: SetupLog) => Libtensorflow,
  { rebuild = false, log }: EnsureNativeOptions,
): NativeStatus {
  const root = projectRoot();
  if (packageName === GPU_PACKAGE && existsSync(join(packageDir(root, packageName), 'package.json')))
    keepGpuBuildOnRebuild(packageDir(root, packageName));
  if (!rebuild) {
    const status = probeNative(root, packageName);
    if (status.ok && status.extension === true && status.tfVersion === TENSORFLOW_VERSION) return status;
    if (!status.ok) log(`${packageName} not usable yet (${status.error})`);
    else if (status.extension !== true)
      log(
        `${packageName} lacks (part of) percept's extension (built by an older percept, or by its own install); rebuilding it`,
      );
    else log(`${packageName} runs libtensorflow ${status.tfVersion}; rebuilding it against ${TENSORFLOW_VERSION}`);
  }
  ensureTfjsPackage(root, packageName, log);
  const python = findPython();
  const { dir, wheel, cuda } = libtensorflow(python, log);
  const target = packageDir(root, packageName);
  placeLibtensorflow(dir, target);
  addBindingExtension(target, root);
  buildBinding(target, log);
  const source: NativeSource = {
    wheel,
    python: python.version,
    builtAt: new Date().toISOString(),
    ...(cuda === undefined ? {} : { cuda }),
  };
  writeFileSync(join(target, 'deps', SOURCE_FILE), JSON.stringify(source, null, 2) + '\n');
  const status = probeNative(root, packageName);
  if (!status.ok) throw new Error(`${packageName} was built against ${wheel} but does not load: ${status.error}`);
  return status;
}
