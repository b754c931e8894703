/**
 * percept's extension of tfjs-node's binding: src/native/graph_function.cc and src/native/image_decode.cc, compiled
 * into the binding that `percept setup` builds from tfjs-node's own sources (src/setup/native_backend.ts). It adds
 * `registerGraphFunction` and `removeGraphFunction` (the traced training step, src/train/traced_step.ts) and
 * `decodeResizeBatch` (batched image decode, src/native/image_decode.ts); all need the binding's eager context,
 * hence a one-line accessor in its backend class, and the decode hands its batch to the binding's tensor map through
 * a second one. Each edit is anchored on tfjs-node 4.22's text and fails loudly when the anchor moved, instead of building a binding without the extension. Edits start from a copy of each file
 * as tfjs-node shipped it (saved next to it on the first setup), so a newer extension never stacks on an older one.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.ts';

/** In every edited file. */
const MARKER = 'percept graph functions';

/** Suffix of the copy of an edited file as tfjs-node shipped it. */
const PRISTINE = '.percept-pristine';

/** The extension's sources, as named in the binding's folder. */
const SOURCES = [
  { from: 'graph_function.cc', to: 'percept_graph_function.cc' },
  { from: 'image_decode.cc', to: 'percept_image_decode.cc' },
];

/** Headers the sources include, copied next to them. */
const HEADERS = ['percept_napi.h'];

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
    replacement:
      `  bool is_gpu_device;\n  // ${MARKER}: the eager context that registered functions run in.\n  TFE_Context *context() const { return tfe_context_; }\n` +
      `  // ${MARKER}: a handle the extension made, as the binding's own tensor ({id, shape, dtype}, as executeOp returns).\n` +
      `  napi_value WrapHandle(napi_env env, TFE_TensorHandle *handle) { return GenerateOutputTensorInfo(env, handle); }\n`,
  },
  {
    file: 'binding/tfjs_binding.cc',
    anchor: 'static napi_value InitTFNodeJSBinding(',
    replacement: `// ${MARKER} (percept_graph_function.cc)\nnapi_value RegisterGraphFunction(napi_env env, napi_callback_info info);\nnapi_value RemoveGraphFunction(napi_env env, napi_callback_info info);\nnapi_value DecodeResizeBatch(napi_env env, napi_callback_info info);\n\nstatic napi_value InitTFNodeJSBinding(`,
  },
  {
    file: 'binding/tfjs_binding.cc',
    anchor: '      {"getNumOfTensors",',
    replacement:
      '      {"registerGraphFunction", nullptr, RegisterGraphFunction, nullptr, nullptr, nullptr, napi_default, nullptr},\n' +
      '      {"removeGraphFunction", nullptr, RemoveGraphFunction, nullptr, nullptr, nullptr, napi_default, nullptr},\n' +
      '      {"decodeResizeBatch", nullptr, DecodeResizeBatch, nullptr, nullptr, nullptr, napi_default, nullptr},\n' +
      '      {"getNumOfTensors",',
  },
  {
    file: 'binding.gyp',
    anchor: "'binding/tfjs_binding.cc'",
    replacement: `'binding/tfjs_binding.cc',\n${SOURCES.map(({ to }) => `      'binding/${to}',  # ${MARKER}`).join('\n')}`,
  },
];

/**
 * The file's text as tfjs-node shipped it: the saved copy, or the file itself (then saved) when percept never
 * edited it. A file percept edited before it kept copies cannot be restored here.
 */
function pristineText(path: string, target: string): string {
  const pristine = path + PRISTINE;
  if (existsSync(pristine)) return readFileSync(pristine, 'utf8');
  const text = readFileSync(path, 'utf8');
  if (text.includes(MARKER)) {
    throw new Error(
      `${path} was edited by an older percept setup that kept no pristine copy. Fix: rm -rf ${target} (tfjs-node's package) and run npx percept setup --rebuild, which fetches it again`,
    );
  }
  writeFileSync(pristine, text);
  return text;
}

/** Copies the extension's sources into tfjs-node's package at `target` and wires them into the build. */
export function addBindingExtension(target: string, root = projectRoot()): void {
  for (const { from, to } of SOURCES) copyFileSync(join(root, 'src', 'native', from), join(target, 'binding', to));
  for (const header of HEADERS) copyFileSync(join(root, 'src', 'native', header), join(target, 'binding', header));
  const edited = new Map<string, string>();
  for (const edit of EDITS) {
    const path = join(target, edit.file);
    const text = edited.get(path) ?? pristineText(path, target);
    if (!text.includes(edit.anchor)) {
      throw new Error(
        `cannot add percept's extension to tfjs-node's binding: ${path} no longer contains ${JSON.stringify(edit.anchor)} (a tfjs-node upgrade moved it; update src/setup/binding_extension.ts)`,
      );
    }
    edited.set(path, text.replace(edit.anchor, edit.replacement));
  }
  for (const [path, text] of edited) writeFileSync(path, text);
}
