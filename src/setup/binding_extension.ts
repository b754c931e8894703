/**
 * percept's extension of tfjs-node's binding: src/native/graph_function.cc, compiled into the binding that
 * `percept setup` builds from tfjs-node's own sources (src/setup/native_backend.ts). It adds `registerGraphFunction`
 * and `removeGraphFunction` (the traced training step, src/train/traced_step.ts) and needs the binding's eager
 * context, hence a one-line accessor in its backend class. Each edit is anchored on tfjs-node 4.22's text and
 * fails loudly when the anchor moved, instead of building a binding without the extension.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.ts';

/** In every edited file, so that a second setup does not edit it twice. */
const MARKER = 'percept graph functions';

interface Edit {
  file: string;
  anchor: string;
  /** The text that replaces the anchor (which it contains). */
  replacement: string;
}

const EDITS: Edit[] = [
  {
    file: 'binding/tfjs_backend.h',
    anchor: '  bool is_gpu_device;\n',
    replacement: `  bool is_gpu_device;\n  // ${MARKER}: the eager context that registered functions run in.\n  TFE_Context *context() const { return tfe_context_; }\n`,
  },
  {
    file: 'binding/tfjs_binding.cc',
    anchor: 'static napi_value InitTFNodeJSBinding(',
    replacement: `// ${MARKER} (percept_graph_function.cc)\nnapi_value RegisterGraphFunction(napi_env env, napi_callback_info info);\nnapi_value RemoveGraphFunction(napi_env env, napi_callback_info info);\n\nstatic napi_value InitTFNodeJSBinding(`,
  },
  {
    file: 'binding/tfjs_binding.cc',
    anchor: '      {"getNumOfTensors",',
    replacement:
      '      {"registerGraphFunction", nullptr, RegisterGraphFunction, nullptr, nullptr, nullptr, napi_default, nullptr},\n' +
      '      {"removeGraphFunction", nullptr, RemoveGraphFunction, nullptr, nullptr, nullptr, napi_default, nullptr},\n' +
      '      {"getNumOfTensors",',
  },
  {
    file: 'binding.gyp',
    anchor: "'binding/tfjs_binding.cc'",
    replacement: `'binding/tfjs_binding.cc',\n      'binding/percept_graph_function.cc'  # ${MARKER}`,
  },
];

/** Copies the extension's source into tfjs-node's package at `target` and wires it into the build. */
export function addBindingExtension(target: string, root = projectRoot()): void {
  copyFileSync(join(root, 'src', 'native', 'graph_function.cc'), join(target, 'binding', 'percept_graph_function.cc'));
  const edited = new Map<string, string>();
  for (const edit of EDITS) {
    const path = join(target, edit.file);
    const text = edited.get(path) ?? readFileSync(path, 'utf8');
    if (text.includes(edit.replacement)) {
      edited.set(path, text);
      continue;
    }
    if (!text.includes(edit.anchor)) {
      throw new Error(`cannot add percept's graph functions to tfjs-node's binding: ${path} no longer contains ${JSON.stringify(edit.anchor)} (a tfjs-node upgrade moved it; update src/setup/binding_extension.ts)`);
    }
    edited.set(path, text.replace(edit.anchor, edit.replacement));
  }
  for (const [path, text] of edited) writeFileSync(path, text);
}
