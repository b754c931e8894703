import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from './registry.ts';
import { UserError } from './errors.ts';

test('registry keeps order, resolves aliases and lists valid names for an unknown one', () => {
  const registry = new Registry<{ name: string; aliases?: string[] }>('metric', [
    { name: 'accuracy', aliases: ['acc'] },
    { name: 'kappa' },
  ]);
  assert.deepEqual(registry.names(), ['accuracy', 'kappa']);
  assert.equal(registry.get('acc').name, 'accuracy');
  assert.throws(
    () => registry.get('f2'),
    (error: unknown) => error instanceof UserError && /unknown metric 'f2'. Valid: accuracy, kappa/.test(error.message),
  );
});

test('registering a name or alias twice throws', () => {
  const registry = new Registry<{ name: string; aliases?: string[] }>('plot', [{ name: 'loss' }]);
  assert.throws(() => registry.register({ name: 'loss' }), /registered twice/);
  assert.throws(() => registry.register({ name: 'curve', aliases: ['loss'] }), /'loss' is registered twice/);
});
