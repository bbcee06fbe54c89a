/* A test-only addon: make() returns an External that is not a capture handle, as any other addon's
 * object would be, so that the shim's tests can check it is refused by its type tag rather than read
 * as a session. */
#include <node_api.h>

static int kNotASession = 42;

static napi_value Make(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value value;
  napi_create_external(env, &kNotASession, NULL, NULL, &value);
  return value;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "make", NAPI_AUTO_LENGTH, Make, NULL, &fn);
  napi_set_named_property(env, exports, "make", fn);
  return exports;
}
