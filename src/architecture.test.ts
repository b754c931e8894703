/**
 * The layering of docs/ARCHITECTURE.md §2, checked with dependency-cruiser over src/ and bench/ with the rules of
 * .dependency-cruiser.cjs: no upward import, no cycle, no test helper in production code, and every module in a
 * layer. It prints the counts the architecture is judged by (upward imports, cycles, modules per layer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { projectRoot } from './paths.ts';

const require = createRequire(import.meta.url);
const { LAYERS, forbidden, options } = require('../.dependency-cruiser.cjs') as {
  LAYERS: [string, string][];
  forbidden: IForbiddenRuleType[];
  options: Record<string, unknown>;
};

const TESTS_AND_HELPERS =
  /\.test\.ts$|(^|\/)testing\.ts$|_testing\.ts$|^src\/data\/test_fixtures\.ts$|^src\/report\/(fixture_runs|golden)\.ts$/;

function layerOf(source: string): string | undefined {
  return LAYERS.find(([, path]) => new RegExp(path).test(source))?.[0];
}

test(
  'imports flow one way down the layers of docs/ARCHITECTURE.md §2, with no cycle and no test helper in production',
  { timeout: 120_000 },
  async (t) => {
    const previous = process.cwd();
    process.chdir(projectRoot());
    let result: ICruiseResult;
    try {
      const reported = await cruise(['src', 'bench'], { ...options, ruleSet: { forbidden }, validate: true });
      result = reported.output as ICruiseResult;
    } finally {
      process.chdir(previous);
    }
    const violations = result.summary.violations.map(
      (violation) =>
        `${violation.rule.name}: ${violation.from} -> ${violation.to}${violation.cycle ? ` (cycle: ${violation.cycle.map((step) => step.name).join(' -> ')})` : ''}`,
    );
    const production = result.modules.filter(
      (module) => /^(src|bench)\/.*\.(ts|mjs)$/.test(module.source) && !TESTS_AND_HELPERS.test(module.source),
    );
    const unplaced = production.filter((module) => layerOf(module.source) === undefined).map((module) => module.source);
    const perLayer = Object.fromEntries(
      LAYERS.map(([name]) => [name, production.filter((module) => layerOf(module.source) === name).length]),
    );
    const count = (rule: RegExp): number =>
      result.summary.violations.filter((violation) => rule.test(violation.rule.name)).length;
    t.diagnostic(
      `upward imports: ${count(/-imports-upward$/)}, cycles: ${count(/^no-cycles$/)}, test helpers in production: ${count(/^no-test-helpers/)}`,
    );
    t.diagnostic(`modules per layer: ${JSON.stringify(perLayer)}`);
    assert.deepEqual(violations, []);
    assert.deepEqual(
      unplaced,
      [],
      'modules outside every layer: add each to a layer in docs/ARCHITECTURE.md §2 and .dependency-cruiser.cjs',
    );
    assert.ok(perLayer['tf']! > 0 && perLayer['cli']! > 0, 'the layer patterns match the tree');
  },
);
