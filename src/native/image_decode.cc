/**
 * percept's batched image decode, compiled into tfjs-node's binding by `percept setup` (src/setup/binding_extension.ts):
 * reads, decodes and resizes image files with TensorFlow's own kernels, the ones Keras's image_dataset_from_directory
 * runs (DecodeImage, then ResizeBilinear with half-pixel centres), on a libuv worker thread, so that the next batch is
 * decoded while the JS thread runs the training step.
 *
 *   decodeResizeImages(files: string[], channels: 1 | 3, size: number, out: Float32Array): Promise<(string | null)[]>
 *     Writes float32 [files.length, size, size, channels], 0..255, not rounded (as Keras yields it), into `out`
 *     (from the worker thread: JavaScript must not touch it until the promise settles). Resolves with one entry per
 *     file: null where it decoded, else why not (TensorFlow's own message); a failed file's slot is zeros.
 */
#include <node_api.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/eager/c_api.h"
#include "tensorflow/core/platform/ctstring_internal.h"
#include "percept_napi.h"
#include "tfjs_backend.h"

namespace tfnodejs {

namespace {

using percept::Fail;
using percept::ReadString;

/** One call's inputs, results and the handles N-API needs to finish it; owned by the async work. */
struct DecodeJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  TFE_Context *context = nullptr;
  std::vector<std::string> files;
  int channels = 3;
  int size = 0;
  /** The caller's Float32Array, kept alive by `out_ref` while the worker writes into it. */
  float *out = nullptr;
  napi_ref out_ref = nullptr;
  /** Empty where the image decoded. */
  std::vector<std::string> errors;
};

class Status {
 public:
  Status() : status_(TF_NewStatus()) {}
  ~Status() { TF_DeleteStatus(status_); }
  TF_Status *get() const { return status_; }
  bool ok() const { return TF_GetCode(status_) == TF_OK; }
  std::string message() const { return TF_Message(status_); }

 private:
  TF_Status *status_;
};

/** Owns an eager tensor handle. */
class Handle {
 public:
  explicit Handle(TFE_TensorHandle *handle = nullptr) : handle_(handle) {}
  ~Handle() {
    if (handle_ != nullptr) TFE_DeleteTensorHandle(handle_);
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  TFE_TensorHandle *get() const { return handle_; }

 private:
  TFE_TensorHandle *handle_;
};

bool ReadFileBytes(const std::string &path, std::string *bytes, std::string *error) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    *error = std::string("cannot open the file: ") + std::strerror(errno);
    return false;
  }
  char chunk[1 << 16];
  size_t read = 0;
  while ((read = std::fread(chunk, 1, sizeof(chunk), file)) > 0) bytes->append(chunk, read);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) *error = "cannot read the file";
  return !failed;
}

/**
 * A scalar TF_STRING tensor that views `bytes` (no copy), as an eager handle. A view owns nothing, so nothing leaks
 * when the tensor goes (a copied string would need TF_TString_Dealloc); `bytes` must outlive the handle, which it
 * does: eager ops run synchronously and the handle is deleted before the bytes.
 */
TFE_TensorHandle *StringHandle(const std::string &bytes, TF_Status *status) {
  TF_Tensor *tensor = TF_AllocateTensor(TF_STRING, nullptr, 0, sizeof(TF_TString));
  TF_TString *text = static_cast<TF_TString *>(TF_TensorData(tensor));
  TF_TString_Init(text);
  TF_TString_AssignView(text, bytes.data(), bytes.size());
  TFE_TensorHandle *handle = TFE_NewTensorHandle(tensor, status);
  TF_DeleteTensor(tensor);
  return handle;
}

TFE_TensorHandle *Int32Handle(const std::vector<int32_t> &values, bool scalar, TF_Status *status) {
  const int64_t dims[1] = {static_cast<int64_t>(values.size())};
  TF_Tensor *tensor = TF_AllocateTensor(TF_INT32, dims, scalar ? 0 : 1, values.size() * sizeof(int32_t));
  std::memcpy(TF_TensorData(tensor), values.data(), values.size() * sizeof(int32_t));
  TFE_TensorHandle *handle = TFE_NewTensorHandle(tensor, status);
  TF_DeleteTensor(tensor);
  return handle;
}

/** Runs a one-output op; `set_attrs` sets the attributes the inputs do not imply. Null on failure (see status). */
template <typename SetAttrs>
TFE_TensorHandle *RunOp(TFE_Context *context, const char *name, std::vector<TFE_TensorHandle *> inputs, SetAttrs set_attrs, TF_Status *status) {
  TFE_Op *op = TFE_NewOp(context, name, status);
  if (TF_GetCode(status) != TF_OK) return nullptr;
  for (TFE_TensorHandle *input : inputs) {
    TFE_OpAddInput(op, input, status);
    if (TF_GetCode(status) != TF_OK) {
      TFE_DeleteOp(op);
      return nullptr;
    }
  }
  set_attrs(op);
  TFE_TensorHandle *output = nullptr;
  int outputs = 1;
  TFE_Execute(op, &output, &outputs, status);
  TFE_DeleteOp(op);
  return TF_GetCode(status) == TF_OK ? output : nullptr;
}

/** Decodes and resizes one file into `out` (size × size × channels floats); false with `error` set when it cannot. */
bool DecodeOne(const DecodeJob &job, const std::string &path, TFE_TensorHandle *zero, TFE_TensorHandle *size, float *out, std::string *error) {
  std::string bytes;
  if (!ReadFileBytes(path, &bytes, error)) return false;
  Status status;
  Handle encoded(StringHandle(bytes, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle image(RunOp(job.context, "DecodeImage", {encoded.get()}, [&](TFE_Op *op) {
    TFE_OpSetAttrInt(op, "channels", job.channels);
    TFE_OpSetAttrType(op, "dtype", TF_UINT8);
    TFE_OpSetAttrBool(op, "expand_animations", 0);
  }, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle batch(RunOp(job.context, "ExpandDims", {image.get(), zero}, [](TFE_Op *) {}, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle resized(RunOp(job.context, "ResizeBilinear", {batch.get(), size}, [](TFE_Op *op) {
    TFE_OpSetAttrBool(op, "align_corners", 0);
    TFE_OpSetAttrBool(op, "half_pixel_centers", 1);
  }, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  TF_Tensor *pixels = TFE_TensorHandleResolve(resized.get(), status.get());
  if (!status.ok()) return *error = status.message(), false;
  const size_t expected = static_cast<size_t>(job.size) * job.size * job.channels * sizeof(float);
  const bool fits = TF_TensorType(pixels) == TF_FLOAT && TF_TensorByteSize(pixels) == expected;
  if (fits) std::memcpy(out, TF_TensorData(pixels), expected);
  TF_DeleteTensor(pixels);
  if (!fits) *error = "the decoded image has an unexpected shape";
  return fits;
}

void Execute(napi_env, void *data) {
  DecodeJob &job = *static_cast<DecodeJob *>(data);
  const size_t per_image = static_cast<size_t>(job.size) * job.size * job.channels;
  std::memset(job.out, 0, per_image * job.files.size() * sizeof(float));
  job.errors.assign(job.files.size(), "");
  Status status;
  Handle zero(Int32Handle({0}, true, status.get()));
  Handle size(Int32Handle({job.size, job.size}, false, status.get()));
  for (size_t i = 0; i < job.files.size(); ++i) {
    if (!status.ok()) {
      job.errors[i] = status.message();
    } else if (!DecodeOne(job, job.files[i], zero.get(), size.get(), job.out + i * per_image, &job.errors[i]) && job.errors[i].empty()) {
      job.errors[i] = "decoding failed";
    }
  }
}

napi_value ErrorsOf(napi_env env, const DecodeJob &job) {
  napi_value errors;
  if (napi_create_array_with_length(env, job.errors.size(), &errors) != napi_ok) return nullptr;
  for (size_t i = 0; i < job.errors.size(); ++i) {
    napi_value error;
    if (job.errors[i].empty()) {
      napi_get_null(env, &error);
    } else {
      napi_create_string_utf8(env, job.errors[i].c_str(), job.errors[i].size(), &error);
    }
    napi_set_element(env, errors, static_cast<uint32_t>(i), error);
  }
  return errors;
}

void Complete(napi_env env, napi_status work_status, void *data) {
  DecodeJob *job = static_cast<DecodeJob *>(data);
  napi_value result = work_status == napi_ok ? ErrorsOf(env, *job) : nullptr;
  if (result != nullptr) {
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "decodeResizeImages: the decode was cancelled or its result could not be built", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_reference(env, job->out_ref);
  napi_delete_async_work(env, job->work);
  delete job;
}

}  // namespace

napi_value DecodeResizeImages(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value args[4];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 4) {
    return Fail(env, "decodeResizeImages(files, channels, size, out) takes 4 arguments");
  }
  TFJSBackend *backend = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void **>(&backend)) != napi_ok || backend == nullptr) {
    return Fail(env, "decodeResizeImages: the binding has no eager context");
  }
  DecodeJob *job = new DecodeJob();
  job->context = backend->context();
  uint32_t count = 0;
  bool ok = napi_get_array_length(env, args[0], &count) == napi_ok;
  job->files.resize(count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    napi_value file;
    ok = napi_get_element(env, args[0], i, &file) == napi_ok && ReadString(env, file, &job->files[i]);
  }
  ok = ok && napi_get_value_int32(env, args[1], &job->channels) == napi_ok && napi_get_value_int32(env, args[2], &job->size) == napi_ok;
  bool is_typed_array = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void *out = nullptr;
  if (ok && napi_is_typedarray(env, args[3], &is_typed_array) == napi_ok && is_typed_array) {
    napi_get_typedarray_info(env, args[3], &type, &length, &out, nullptr, nullptr);
  }
  const size_t expected = static_cast<size_t>(count) * job->size * job->size * job->channels;
  if (!ok || (job->channels != 1 && job->channels != 3) || job->size <= 0 || type != napi_float32_array || length != expected) {
    delete job;
    return Fail(env, "decodeResizeImages: expected (string[], 1 | 3, positive size, Float32Array of files × size × size × channels)");
  }
  job->out = static_cast<float *>(out);
  napi_create_reference(env, args[3], 1, &job->out_ref);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "percept.decodeResizeImages", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, Execute, Complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

}  // namespace tfnodejs
