/** N-API helpers shared by percept's extension sources (src/native/*.cc), copied next to them by `percept setup`. */
#ifndef PERCEPT_NAPI_H_
#define PERCEPT_NAPI_H_

#include <node_api.h>

#include <string>

namespace tfnodejs {
namespace percept {

/** A JavaScript string as UTF-8; false when `value` is not a string. */
inline bool ReadString(napi_env env, napi_value value, std::string *out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length + 1);
  if (napi_get_value_string_utf8(env, value, &(*out)[0], length + 1, &length) != napi_ok) return false;
  out->resize(length);
  return true;
}

/** Throws `message` as a JavaScript Error; returns the null a failed N-API callback returns. */
inline napi_value Fail(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

}  // namespace percept
}  // namespace tfnodejs

#endif  // PERCEPT_NAPI_H_
