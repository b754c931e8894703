/**
 * percept's batched image decode, compiled into tfjs-node's binding by `percept setup` (src/setup/binding_extension.ts):
 * reads, decodes and resizes image files with TensorFlow's own kernels, the ones Keras's image_dataset_from_directory
 * runs (DecodeImage, then ResizeBilinear with half-pixel centres), on libuv worker threads, so that the next batch is
 * decoded while the JS thread runs the training step. The images land in one TensorFlow tensor that becomes the
 * binding's own tensor: JavaScript gets the batch without a copy or an upload.
 *
 *   decodeResizeBatch(files: string[], channels: 1 | 3, size: number, flips: Uint8Array, jobs: number)
 *     : Promise<{ tensor: { id, shape, dtype }, errors: (string | null)[] }>
 *     Decodes into float32 [files.length, size, size, channels], 0..255, not rounded (as Keras yields it), split
 *     into `jobs` works on libuv's pool; image i is mirrored left to right where flips[i] is 1 (the seeded flip
 *     augmentation, decided in JavaScript). Resolves with the batch as the binding's tensor info (what executeOp
 *     returns) and one entry per file: null where it decoded, else why not (TensorFlow's own message); a failed
 *     file's slot is zeros.
 */
#include <node_api.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
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

/** One call: the batch tensor its jobs write into, the per-file results and the promise; owned by its jobs. */
struct DecodeBatch {
  napi_deferred deferred = nullptr;
  TFE_Context *context = nullptr;
  std::vector<std::string> files;
  /** 1 where the image is mirrored left to right after the resize. */
  std::vector<uint8_t> flips;
  int channels = 3;
  int size = 0;
  /** float32 [files, size, size, channels]; each job writes only its own files' slots. */
  TF_Tensor *pixels = nullptr;
  /** Empty where the image decoded. */
  std::vector<std::string> errors;
  /** Jobs not yet completed; read and written on the JS thread only (in Complete). */
  int pending = 0;
  bool cancelled = false;
};

/** One libuv work: files [begin, end) of a batch. */
struct DecodeJob {
  napi_async_work work = nullptr;
  DecodeBatch *batch = nullptr;
  size_t begin = 0;
  size_t end = 0;
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

/** Copies one resized image into its slot, mirrored left to right when `flip` (rows stay, pixels reverse). */
void Place(const float *image, int size, int channels, bool flip, float *out) {
  const size_t row = static_cast<size_t>(size) * channels;
  if (!flip) {
    std::memcpy(out, image, row * size * sizeof(float));
    return;
  }
  for (int y = 0; y < size; ++y) {
    const float *from = image + y * row;
    float *to = out + y * row;
    for (int x = 0; x < size; ++x) std::memcpy(to + x * channels, from + (size - 1 - x) * channels, channels * sizeof(float));
  }
}

/** Decodes and resizes one file into `out` (size × size × channels floats); false with `error` set when it cannot. */
bool DecodeOne(const DecodeBatch &batch, size_t index, TFE_TensorHandle *zero, TFE_TensorHandle *size, float *out, std::string *error) {
  std::string bytes;
  if (!ReadFileBytes(batch.files[index], &bytes, error)) return false;
  Status status;
  Handle encoded(StringHandle(bytes, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle image(RunOp(batch.context, "DecodeImage", {encoded.get()}, [&](TFE_Op *op) {
    TFE_OpSetAttrInt(op, "channels", batch.channels);
    TFE_OpSetAttrType(op, "dtype", TF_UINT8);
    TFE_OpSetAttrBool(op, "expand_animations", 0);
  }, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle expanded(RunOp(batch.context, "ExpandDims", {image.get(), zero}, [](TFE_Op *) {}, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  Handle resized(RunOp(batch.context, "ResizeBilinear", {expanded.get(), size}, [](TFE_Op *op) {
    TFE_OpSetAttrBool(op, "align_corners", 0);
    TFE_OpSetAttrBool(op, "half_pixel_centers", 1);
  }, status.get()));
  if (!status.ok()) return *error = status.message(), false;
  TF_Tensor *pixels = TFE_TensorHandleResolve(resized.get(), status.get());
  if (!status.ok()) return *error = status.message(), false;
  const size_t expected = static_cast<size_t>(batch.size) * batch.size * batch.channels * sizeof(float);
  const bool fits = TF_TensorType(pixels) == TF_FLOAT && TF_TensorByteSize(pixels) == expected;
  if (fits) Place(static_cast<const float *>(TF_TensorData(pixels)), batch.size, batch.channels, batch.flips[index] != 0, out);
  TF_DeleteTensor(pixels);
  if (!fits) *error = "the decoded image has an unexpected shape";
  return fits;
}

void Execute(napi_env, void *data) {
  const DecodeJob &job = *static_cast<DecodeJob *>(data);
  DecodeBatch &batch = *job.batch;
  const size_t per_image = static_cast<size_t>(batch.size) * batch.size * batch.channels;
  float *pixels = static_cast<float *>(TF_TensorData(batch.pixels));
  Status status;
  Handle zero(Int32Handle({0}, true, status.get()));
  Handle size(Int32Handle({batch.size, batch.size}, false, status.get()));
  for (size_t i = job.begin; i < job.end; ++i) {
    std::string &error = batch.errors[i];
    if (!status.ok()) {
      error = status.message();
    } else if (!DecodeOne(batch, i, zero.get(), size.get(), pixels + i * per_image, &error) && error.empty()) {
      error = "decoding failed";
    }
    // The tensor's memory is not cleared when allocated: a failed slot is zeroed here.
    if (!error.empty()) std::memset(pixels + i * per_image, 0, per_image * sizeof(float));
  }
}

/** `{ tensor, errors }`: the batch handed to the binding as one of its tensors, and each file's error or null. */
napi_value ResultOf(napi_env env, DecodeBatch &batch) {
  TFJSBackend *backend = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void **>(&backend)) != napi_ok || backend == nullptr) return nullptr;
  Status status;
  TFE_TensorHandle *handle = TFE_NewTensorHandle(batch.pixels, status.get());
  if (!status.ok()) return nullptr;
  napi_value result, tensor, errors;
  // From here the binding owns the handle (its tensor map), as for an op's output.
  tensor = backend->WrapHandle(env, handle);
  if (tensor == nullptr || napi_create_object(env, &result) != napi_ok) return nullptr;
  if (napi_create_array_with_length(env, batch.errors.size(), &errors) != napi_ok) return nullptr;
  for (size_t i = 0; i < batch.errors.size(); ++i) {
    napi_value error;
    if (batch.errors[i].empty()) {
      napi_get_null(env, &error);
    } else {
      napi_create_string_utf8(env, batch.errors[i].c_str(), batch.errors[i].size(), &error);
    }
    napi_set_element(env, errors, static_cast<uint32_t>(i), error);
  }
  napi_set_named_property(env, result, "tensor", tensor);
  napi_set_named_property(env, result, "errors", errors);
  return result;
}

void Complete(napi_env env, napi_status work_status, void *data) {
  DecodeJob *job = static_cast<DecodeJob *>(data);
  DecodeBatch *batch = job->batch;
  napi_delete_async_work(env, job->work);
  delete job;
  if (work_status != napi_ok) batch->cancelled = true;
  if (--batch->pending > 0) return;
  napi_value result = batch->cancelled ? nullptr : ResultOf(env, *batch);
  if (result != nullptr) {
    napi_resolve_deferred(env, batch->deferred, result);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "decodeResizeBatch: the decode was cancelled or its result could not be built", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, batch->deferred, error);
  }
  TF_DeleteTensor(batch->pixels);
  delete batch;
}

}  // namespace

napi_value DecodeResizeBatch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  if (napi_get_cb_info(env, info, &argc, args, nullptr, nullptr) != napi_ok || argc < 5) {
    return Fail(env, "decodeResizeBatch(files, channels, size, flips, jobs) takes 5 arguments");
  }
  TFJSBackend *backend = nullptr;
  if (napi_get_instance_data(env, reinterpret_cast<void **>(&backend)) != napi_ok || backend == nullptr) {
    return Fail(env, "decodeResizeBatch: the binding has no eager context");
  }
  auto batch = std::make_unique<DecodeBatch>();
  batch->context = backend->context();
  uint32_t count = 0;
  bool ok = napi_get_array_length(env, args[0], &count) == napi_ok;
  batch->files.resize(count);
  for (uint32_t i = 0; ok && i < count; ++i) {
    napi_value file;
    ok = napi_get_element(env, args[0], i, &file) == napi_ok && ReadString(env, file, &batch->files[i]);
  }
  int32_t jobs = 0;
  ok = ok && napi_get_value_int32(env, args[1], &batch->channels) == napi_ok && napi_get_value_int32(env, args[2], &batch->size) == napi_ok &&
       napi_get_value_int32(env, args[4], &jobs) == napi_ok;
  bool is_typed_array = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void *flips = nullptr;
  if (ok && napi_is_typedarray(env, args[3], &is_typed_array) == napi_ok && is_typed_array) {
    napi_get_typedarray_info(env, args[3], &type, &length, &flips, nullptr, nullptr);
  }
  if (!ok || count == 0 || (batch->channels != 1 && batch->channels != 3) || batch->size <= 0 || jobs <= 0 || type != napi_uint8_array || length != count) {
    return Fail(env, "decodeResizeBatch: expected (non-empty string[], 1 | 3, positive size, Uint8Array of one flip per file, positive job count)");
  }
  const uint8_t *flip_values = static_cast<const uint8_t *>(flips);
  batch->flips.assign(flip_values, flip_values + count);
  batch->errors.assign(count, "");
  const int64_t dims[4] = {count, batch->size, batch->size, batch->channels};
  batch->pixels = TF_AllocateTensor(TF_FLOAT, dims, 4, sizeof(float) * count * batch->size * batch->size * batch->channels);
  napi_value promise, name;
  napi_create_promise(env, &batch->deferred, &promise);
  napi_create_string_utf8(env, "percept.decodeResizeBatch", NAPI_AUTO_LENGTH, &name);
  const size_t per_job = (count + jobs - 1) / jobs;
  DecodeBatch *owned = batch.release();
  owned->pending = static_cast<int>((count + per_job - 1) / per_job);
  for (size_t begin = 0; begin < count; begin += per_job) {
    DecodeJob *job = new DecodeJob{nullptr, owned, begin, std::min<size_t>(count, begin + per_job)};
    napi_create_async_work(env, nullptr, name, Execute, Complete, job, &job->work);
    napi_queue_async_work(env, job->work);
  }
  return promise;
}

}  // namespace tfnodejs
