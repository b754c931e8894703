/**
 * Debian packages that percept's features need, each found by what the feature uses rather than by dpkg,
 * so that a Chromium or poppler installed another way counts too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium } from './chromium.ts';
import type { SetupLog } from './native_backend.ts';

export interface SystemPackage {
  name: string;
  /** What needs it, in the user's words. */
  neededFor: string;
  present(): boolean;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Where Debian's dataset-fashion-mnist puts the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  {
    name: 'chromium',
    neededFor: 'PDF reports and the JupyterLab browser test',
    present: () => findChromium() !== undefined,
  },
  {
    name: 'poppler-utils',
    neededFor: 'reading PDFs back in tests (pdftotext, pdftoppm)',
    present: () => onPath('pdftotext'),
  },
  {
    name: 'dataset-fashion-mnist',
    neededFor: 'the real-image benchmark and demo',
    present: () => existsSync(`${FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz`),
  },
  {
    name: 'fonts-dejavu-core',
    neededFor: 'report fonts',
    present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
  },
];

export function missingSystemPackages(): SystemPackage[] {
  return SYSTEM_PACKAGES.filter((pkg) => !pkg.present());
}

/**
 * Installs the missing packages with apt-get when running as root on Debian (as CI and this project's machines do),
 * and otherwise says which command to run. Returns the packages still missing.
 */
export function ensureSystemPackages(log: SetupLog): SystemPackage[] {
  const missing = missingSystemPackages();
  if (missing.length === 0) return [];
  const names = missing.map((pkg) => pkg.name).join(' ');
  const canInstall = process.getuid?.() === 0 && onPath('apt-get') && process.env['PERCEPT_NO_APT'] !== '1';
  if (!canInstall) {
    for (const pkg of missing) log(`missing Debian package ${pkg.name} (needed for ${pkg.neededFor})`);
    log(`Fix: sudo apt-get install -y ${names}`);
    return missing;
  }
  log(`apt-get install ${names}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', ...missing.map((pkg) => pkg.name)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  if (result.status !== 0)
    log(`apt-get install ${names} failed (exit ${result.status}). Fix: run it by hand and read its error`);
  return missingSystemPackages();
}
