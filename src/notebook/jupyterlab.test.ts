/**
 * In a real browser (issue 7, point 6): JupyterLab from .venv runs headless on loopback with a token, Chromium opens
 * a notebook that shows a Vega-Lite chart, runs all cells through the Run menu, and the chart must render as an
 * SVG or canvas inside JupyterLab's vega-embed output. The screenshot is kept in reports/browser/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { findChromium } from '../setup/chromium.ts';
import { venvDir } from '../setup/python_env.ts';
import { projectRoot } from '../paths.ts';
import { needsChromium, needsPython } from '../testing.ts';
import { ensureBundle } from './bundle.ts';
import { registerKernel } from './kernel.ts';

const root = projectRoot();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitForServer(url: string, lab: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (lab.exitCode !== null) throw new Error(`jupyter lab exited ${lab.exitCode}:\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`jupyter lab did not answer within 60 s:\n${log()}`);
}

function waitForKernelIdle(page: Page): Promise<unknown> {
  return page.waitForFunction(
    () => document.querySelector('#jp-main-statusbar')?.textContent?.includes('TypeScript (tslab) | Idle') === true,
    { timeout: 60_000 },
  );
}

test(
  'JupyterLab renders a Vega-Lite chart from a tslab notebook in Chromium',
  { ...needsPython('jupyterlab'), ...needsChromium(), timeout: 240_000 },
  async () => {
    registerKernel();
    await ensureBundle(root);
    // The notebook sits under the repository (git-ignored reports/) so that the kernel, started in its folder, finds
    // node_modules/percept; JupyterLab may autosave it, so it is a copy.
    const work = join(root, 'reports', 'browser');
    const state = join(work, 'jupyter-state');
    rmSync(state, { recursive: true, force: true });
    mkdirSync(state, { recursive: true });
    copyFileSync(join(root, 'src', 'notebook', 'fixtures', 'display.ipynb'), join(work, 'chart.ipynb'));
    const port = await freePort();
    const token = randomBytes(16).toString('hex');
    let log = '';
    const lab = spawn(
      join(venvDir(root), 'bin', 'jupyter'),
      [
        'lab',
        '--no-browser',
        '--ip=127.0.0.1',
        `--port=${port}`,
        `--IdentityProvider.token=${token}`,
        `--ServerApp.root_dir=${root}`,
        `--LabApp.workspaces_dir=${state}`,
        ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
      ],
      {
        cwd: root,
        // Jupyter's own state stays in the test folder; PERCEPT_PROFILE keeps the notebook on its quick values.
        env: {
          ...process.env,
          JUPYTER_CONFIG_DIR: join(state, 'config'),
          JUPYTER_RUNTIME_DIR: join(state, 'runtime'),
          PERCEPT_PROFILE: 'quick',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    lab.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    lab.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const browser = await puppeteer.launch({
      executablePath: findChromium()!,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--window-size=1400,1000',
      ],
      defaultViewport: { width: 1400, height: 1000 },
    });
    let page: Page | undefined;
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForServer(`${base}/api/status?token=${token}`, lab, () => log);
      page = await browser.newPage();
      await page.goto(`${base}/lab/tree/reports/browser/chart.ipynb?token=${token}`, {
        waitUntil: 'domcontentloaded',
        timeout: 60_000,
      });
      // The kernel is up when the status bar says so.
      await page.waitForSelector('.jp-Notebook .jp-Cell', { timeout: 60_000 });
      await waitForKernelIdle(page);
      // Lumino opens a menu on mousedown: a real click on the menu bar's 'Run' item.
      const menus = await page.$$('.lm-MenuBar-item');
      const titles = await Promise.all(menus.map((menu) => menu.evaluate((element) => element.textContent?.trim())));
      await menus[titles.indexOf('Run')]!.click();
      const runAll = await page.waitForSelector('.lm-Menu-item[data-command="runmenu:run-all"]', { timeout: 10_000 });
      await runAll!.click();
      await page.waitForSelector('.vega-embed svg, .vega-embed canvas', { timeout: 60_000 });
      // Every cell has run when no input prompt shows [*] any more.
      await page.waitForFunction(
        () => [...document.querySelectorAll('.jp-InputPrompt')].every((prompt) => !prompt.textContent?.includes('*')),
        { timeout: 60_000 },
      );
      await waitForKernelIdle(page);
      await page.evaluate(() => document.querySelector('.vega-embed')?.scrollIntoView({ block: 'center' }));
      await page.screenshot({ path: join(work, 'jupyterlab-vega.png') });
      const rendered = await page.evaluate(() => {
        const embed = document.querySelector('.vega-embed')!;
        const box = embed.getBoundingClientRect();
        return {
          marks: embed.querySelectorAll('svg path, svg line, canvas').length,
          width: box.width,
          height: box.height,
          errors: document.querySelectorAll('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]').length,
        };
      });
      assert.ok(rendered.marks > 0 && rendered.width > 100 && rendered.height > 100, JSON.stringify(rendered));
    } catch (error) {
      await page?.screenshot({ path: join(work, 'jupyterlab-failure.png') });
      throw new Error(`${(error as Error).message}\njupyter lab's log:\n${log.slice(-4000)}`);
    } finally {
      await browser.close();
      try {
        process.kill(-lab.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  },
);
