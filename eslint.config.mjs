// ESLint over src/ and bench/ with typescript-eslint's type-checked recommended rules (docs/ARCHITECTURE.md §6).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { files: ['src/**/*.ts', 'bench/**/*.ts'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // A function may be async without awaiting: callbacks' no-op hooks, dataset readers and bench peers keep one
      // Promise-returning signature whether or not a given implementation waits on anything.
      '@typescript-eslint/require-await': 'off',
      // An unused parameter or binding is marked with a leading underscore, as tsc's noUnusedParameters expects.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
