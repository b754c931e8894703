/**
 * percept's extension of tfjs-node's binding (compiled into it by `percept setup`, src/setup/binding_extension.ts):
 * registers a TensorFlow graph as a function of the binding's own eager context, so that a whole training step,
 * traced once (src/train/traced_step.ts), runs as one `executeOp(name, ...)` call instead of thousands of eager ops.
 *
 *   registerGraphFunction(name: string, graphDef: Uint8Array, inputs: string[], outputs: string[]): void
 *     graphDef: a serialized GraphDef; inputs: its Placeholder node names, in the function's argument order;
 *     outputs: "node:index" of the function's results, in order.
 *   removeGraphFunction(name: string): void
 */
#include <node_api.h>

#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "percept_napi.h"
#include "tfjs_backend.h"
#include "utils.h"

namespace tfnodejs {

namespace {

using percept::Fail;
using percept::ReadString;

bool ReadStrings(napi_env env, napi_value array, std::vector<std::string> *out) {
  uint32_t length = 0;
  if (napi_get_array_length(env, array, &length) != napi_ok) return false;
  out->resize(length);
  for (uint32_t i = 0; i < length; ++i) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok || !ReadString(env, element, &(*out)[i])) return false;
  }
  return true;
}

TFE_Context *ContextOf(napi_env env) {
  TFJSBackend *backend = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void **>(&backend)) != napi_ok || backend == nullptr) return nullptr;
  return backend->context();
}

/** "node:index" (or "node") as an output of `graph`; oper is null when the node is missing. */
TF_Output OutputOf(TF_Graph *graph, const std::string &ref) {
  const size_t colon = ref.rfind(':');
  const std::string node = colon == std::string::npos ? ref : ref.substr(0, colon);
  const int index = colon == std::string::npos ? 0 : std::stoi(ref.substr(colon + 1));
  return TF_Output{TF_GraphOperationByName(graph, node.c_str()), index};
}

}  // namespace

napi_value RegisterGraphFunction(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 4) {
    return Fail(env, "registerGraphFunction(name, graphDef, inputs, outputs) takes 4 arguments");
  }
  std::string name;
  std::vector<std::string> input_names, output_refs;
  void *data = nullptr;
  size_t byte_length = 0;
  bool is_typed_array = false;
  napi_is_typedarray(env, args[1], &is_typed_array);
  if (!ReadString(env, args[0], &name) || !is_typed_array || !ReadStrings(env, args[2], &input_names) || !ReadStrings(env, args[3], &output_refs)) {
    return Fail(env, "registerGraphFunction: expected (string, Uint8Array, string[], string[])");
  }
  napi_typedarray_type type;
  size_t length = 0;
  napi_value buffer;
  size_t offset = 0;
  napi_get_typedarray_info(env, args[1], &type, &length, &data, &buffer, &offset);
  byte_length = length;  // a Uint8Array: one byte per element
  TFE_Context *context = ContextOf(env);
  if (context == nullptr) return Fail(env, "registerGraphFunction: the binding has no eager context");

  TF_Status *status = TF_NewStatus();
  TF_Graph *graph = TF_NewGraph();
  TF_Buffer *graph_def = TF_NewBufferFromString(data, byte_length);
  TF_ImportGraphDefOptions *options = TF_NewImportGraphDefOptions();
  TF_GraphImportGraphDef(graph, graph_def, options, status);
  TF_DeleteImportGraphDefOptions(options);
  TF_DeleteBuffer(graph_def);
  std::string error;
  if (TF_GetCode(status) != TF_OK) error = std::string("importing the traced graph failed: ") + TF_Message(status);

  std::vector<TF_Output> inputs, outputs;
  for (const std::string &ref : input_names) {
    inputs.push_back(OutputOf(graph, ref));
    if (error.empty() && inputs.back().oper == nullptr) error = "the traced graph has no input node " + ref;
  }
  for (const std::string &ref : output_refs) {
    outputs.push_back(OutputOf(graph, ref));
    if (error.empty() && outputs.back().oper == nullptr) error = "the traced graph has no output node " + ref;
  }
  if (error.empty()) {
    TF_Function *function = TF_GraphToFunction(graph, name.c_str(), 0, -1, nullptr, static_cast<int>(inputs.size()), inputs.data(),
                                               static_cast<int>(outputs.size()), outputs.data(), nullptr, nullptr, "percept traced step", status);
    if (TF_GetCode(status) != TF_OK) {
      error = std::string("turning the traced graph into a function failed: ") + TF_Message(status);
    } else {
      TFE_ContextAddFunction(context, function, status);
      if (TF_GetCode(status) != TF_OK) error = std::string("registering the traced function failed: ") + TF_Message(status);
    }
    if (function != nullptr) TF_DeleteFunction(function);
  }
  TF_DeleteGraph(graph);
  TF_DeleteStatus(status);
  if (!error.empty()) return Fail(env, error);
  return nullptr;
}

napi_value RemoveGraphFunction(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  std::string name;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 1 || !ReadString(env, args[0], &name)) {
    return Fail(env, "removeGraphFunction(name) takes a function name");
  }
  TFE_Context *context = ContextOf(env);
  if (context == nullptr) return Fail(env, "removeGraphFunction: the binding has no eager context");
  TF_Status *status = TF_NewStatus();
  TFE_ContextRemoveFunction(context, name.c_str(), status);
  const std::string error = TF_GetCode(status) == TF_OK ? "" : std::string("removing the traced function failed: ") + TF_Message(status);
  TF_DeleteStatus(status);
  if (!error.empty()) return Fail(env, error);
  return nullptr;
}

}  // namespace tfnodejs
