/**
 * The layers of docs/ARCHITECTURE.md §2, bottom to top, as dependency-cruiser rules: a module imports only from its
 * own layer and the layers below (type-only imports count: a type from above couples as much as a value), there is
 * no cycle, and no module outside the tests imports a test helper. src/architecture.test.ts runs it in npm test.
 */
const LAYERS = [
  ['platform', '^src/(errors|registry|random|atomic|paths|device|json_file)\\.ts$|^src/setup/'],
  // Pure arithmetic on plain arrays: below TensorFlow, so that the trainer's monitor can read the metric registry.
  ['metrics', '^src/metrics/'],
  ['tf', '^src/(tf|tf_type|backend_parity)\\.ts$|^src/(kernels|native)/'],
  ['data', '^src/data/'],
  ['models', '^src/models/'],
  ['train', '^src/train/'],
  ['runs', '^src/runs/'],
  ['plots', '^src/plots/'],
  ['report', '^src/report/'],
  ['demo', '^src/demo/'],
  ['notebook', '^src/notebook/'],
  ['bench', '^bench/'],
  ['cli', '^src/cli/'],
];

/** Test files, and the helpers only tests (and the bench's fixtures) may import. */
const TESTS = '\\.test\\.ts$';
const TEST_HELPERS = '^src/testing\\.ts$|_testing\\.ts$|^src/data/test_fixtures\\.ts$|^src/report/(fixture_runs|golden)\\.ts$';

module.exports = {
  LAYERS,
  forbidden: [
    ...LAYERS.map(([name, path], i) => ({
      name: `${name}-imports-upward`,
      comment: `${name} may import only from its own layer and those below it (docs/ARCHITECTURE.md §2)`,
      severity: 'error',
      from: { path, pathNot: `${TESTS}|${TEST_HELPERS}` },
      to: { path: LAYERS.slice(i + 1).map(([, above]) => above).join('|') || '^$' },
    })),
    {
      name: 'no-cycles',
      comment: 'modules import each other in one direction only',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-helpers-in-production',
      comment: 'test helpers are for tests (and the bench, which renders the report fixtures)',
      severity: 'error',
      from: { path: '^src/', pathNot: `${TESTS}|${TEST_HELPERS}` },
      to: { path: TEST_HELPERS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules|^bench/peers/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
