// The Node-API surface of the shim (docs/internals.md §3): listInterfaces, start, stop, stats.
//
// The capture thread never touches napi_env: every batch, and the end, reach JS through one
// ThreadSafeFunction; the batches queued there are bounded by maxQueuedBytes (the session counts
// them: a ThreadSafeFunction can only count calls). The thread releases the function
// after queueing the end, so the process can exit once a capture is over; the function's finalizer
// (on the JS thread) stops and joins the thread. No C++ exception crosses into Node: node-addon-api turns
// Napi::Error into a JS exception, and every entry point catches the rest.
#include <malloc.h>
#include <napi.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "capture.h"
#include "capture_stats.h"

namespace capture_shim {
namespace {

// One item through the ThreadSafeFunction: a batch, or the end of the capture.
struct Item {
  Batch batch;
  uint64_t queued = 0;  // what it counts against maxQueuedBytes until JS has taken it
  bool end = false;
  CaptureStatus status;
  std::shared_ptr<BatchPool> pool;  // where the batch's memory goes back once JS is done with it
};

class Session;
void CallJs(Napi::Env env, Napi::Function on_batch, Session* session, Item* item);
using BatchFunction = Napi::TypedThreadSafeFunction<Session, Item, CallJs>;

class Session : public BatchConsumer {
 public:
  std::unique_ptr<Capture> capture;
  std::shared_ptr<BatchPool> pool;
  BatchFunction tsfn;
  Napi::FunctionReference on_end;   // JS thread only
  bool reuse_batches = false;
  uint64_t max_queued_bytes = 0;
  std::shared_ptr<Session> self;    // keeps the session alive until the TSFN is finalized

  // Live: refused when the batch does not fit; the capture sheds (capture.h).
  bool TryDeliver(Batch* batch) override {
    if (!Reserve(Charge(*batch), false)) return false;
    return Call(batch);
  }

  // Offline, and the last batches: waits for room. False once the environment is going away.
  bool Deliver(Batch* batch) override {
    if (!Reserve(Charge(*batch), true)) return false;
    return Call(batch);
  }

  void End(const CaptureStatus& status) override {
    auto* item = new Item{{}, 0, true, status, nullptr};
    if (tsfn.BlockingCall(item) != napi_ok) delete item;
    tsfn.Release();
  }

  // Batches JS has not begun (the one it is reading does not count: a batch handed over now would
  // be read right after it). An atomic, not the mutex: the capture thread asks once per wake-up.
  bool Backlogged() const override { return waiting_.load(std::memory_order_relaxed) > 0; }

  // JS begins a batch (or the environment drops it).
  void Begun() { waiting_.fetch_sub(1, std::memory_order_relaxed); }

  // JS has taken a batch off the queue (or the environment dropped it).
  void Taken(uint64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queued_bytes_ -= bytes;
    }
    room_.notify_all();
  }

  // The environment is going away: nothing waits for room any more.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    room_.notify_all();
  }

 private:
  // A batch counts with the memory it holds, not only the bytes it carries: a small batch in a
  // reused buffer keeps the pages an earlier, larger one touched.
  static uint64_t Charge(const Batch& batch) { return batch.capacity(); }

  // A batch always fits an empty queue, so a batch larger than the bound still goes.
  bool Fits(uint64_t bytes) const {
    return queued_bytes_ == 0 || queued_bytes_ + bytes <= max_queued_bytes;
  }

  bool Reserve(uint64_t bytes, bool wait) {
    std::unique_lock<std::mutex> lock(mu_);
    if (wait) room_.wait(lock, [&] { return closing_ || Fits(bytes); });
    if (closing_ || !Fits(bytes)) return false;
    queued_bytes_ += bytes;
    return true;
  }

  bool Call(Batch* batch) {
    uint64_t bytes = Charge(*batch);
    auto* item = new Item{std::move(*batch), bytes, false, {}, pool};
    waiting_.fetch_add(1, std::memory_order_relaxed);
    // The ThreadSafeFunction's own queue is unbounded (the bound is maxQueuedBytes): this never blocks.
    if (tsfn.NonBlockingCall(item) == napi_ok) return true;
    waiting_.fetch_sub(1, std::memory_order_relaxed);
    *batch = std::move(item->batch);
    delete item;
    std::lock_guard<std::mutex> lock(mu_);
    queued_bytes_ -= bytes;
    return false;
  }

  std::mutex mu_;
  std::condition_variable room_;
  uint64_t queued_bytes_ = 0;
  bool closing_ = false;
  std::atomic<int64_t> waiting_{0};
};

// The capture's error as a JS Error with `code` (and `interfaces`), in plain Node-API calls that
// report failure instead of throwing: CallJs may run while JS cannot (below). nullptr when a call failed.
napi_value CaptureErrorValue(napi_env env, const CaptureStatus& status) {
  auto string = [env](const std::string& text) {
    napi_value v = nullptr;
    return napi_create_string_utf8(env, text.data(), text.size(), &v) == napi_ok ? v : nullptr;
  };
  napi_value message = string(status.message);
  napi_value code = string(CaptureErrorName(status.code));
  napi_value err = nullptr;
  if (message == nullptr || code == nullptr || napi_create_error(env, nullptr, message, &err) != napi_ok ||
      napi_set_named_property(env, err, "code", code) != napi_ok) {
    return nullptr;
  }
  if (status.code == CaptureErrorCode::kInterfaceNotFound) {
    napi_value names = nullptr;
    if (napi_create_array_with_length(env, status.interfaces.size(), &names) != napi_ok) return nullptr;
    for (size_t i = 0; i < status.interfaces.size(); ++i) {
      napi_value name = string(status.interfaces[i]);
      if (name == nullptr || napi_set_element(env, names, static_cast<uint32_t>(i), name) != napi_ok) return nullptr;
    }
    if (napi_set_named_property(env, err, "interfaces", names) != napi_ok) return nullptr;
  }
  return err;
}

Napi::Error MakeError(Napi::Env env, const CaptureStatus& status) {
  napi_value err = CaptureErrorValue(env, status);
  return err != nullptr ? Napi::Error(env, err) : Napi::Error::New(env, status.message);
}

// Delivers one item to JS. Only plain Node-API calls here, each checked: node-addon-api turns a failed
// call into a C++ exception, and while a Worker is being terminated every call into JS fails, and
// building that exception is itself a fatal error (`Error::Error napi_define_properties`) or, once
// thrown out of this C callback, std::terminate. A callback that throws leaves its exception pending,
// and Node reports it as for any thread-safe function call.
void CallJs(Napi::Env napi_env_value, Napi::Function on_batch, Session* session, Item* item) {
  napi_env env = napi_env_value;
  if (env == nullptr) {
    // The environment is going away and Node-API empties the queue after the function's finalizer
    // ran: the session may be gone (the finalizer drops its last reference), and nothing waits for
    // room any more (the finalizer closed the queue and joined the thread). Only the item is freed.
    delete item;
    return;
  }
  // However the call goes, the batch leaves the queue: the capture may hand over the next.
  struct Dequeued {
    Session* session;
    uint64_t bytes;
    ~Dequeued() {
      if (bytes > 0) session->Taken(bytes);
    }
  } dequeued{session, item->queued};
  if (!item->end) session->Begun();
  napi_value undefined = nullptr;
  if (napi_get_undefined(env, &undefined) != napi_ok) {
    delete item;
    return;
  }
  if (!item->end && session->reuse_batches) {
    // Zero-copy and zero-allocation: JS sees the batch's memory only during the call. Detaching
    // afterwards leaves any view JS kept empty (never dangling), and the memory goes straight back to
    // the pool, warm. The view is made here, not by calling Buffer.from: no JS call per batch.
    std::unique_ptr<Item> owned(item);
    napi_value ab = nullptr;
    napi_value view = nullptr;
    napi_value ignored = nullptr;
    const size_t len = owned->batch.size();
    if (napi_create_external_arraybuffer(env, owned->batch.data(), len, nullptr, nullptr, &ab) == napi_ok) {
      if (napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &view) == napi_ok) {
        napi_call_function(env, undefined, on_batch, 1, &view, &ignored);
      }
      napi_detach_arraybuffer(env, ab);
    }
    owned->pool->Give(std::move(owned->batch));
    return;
  }
  if (!item->end) {
    // Handed over without a copy; the ArrayBuffer's finalizer returns the memory for reuse.
    const size_t len = item->batch.size();
    napi_value ab = nullptr;
    auto finalize = [](napi_env, void*, void* hint) {
      auto* owned = static_cast<Item*>(hint);
      if (owned->pool) owned->pool->Give(std::move(owned->batch));
      delete owned;
    };
    if (napi_create_external_arraybuffer(env, item->batch.data(), len, finalize, item, &ab) != napi_ok) {
      delete item;  // not handed to JS: freed here
      return;
    }
    napi_value view = nullptr;
    napi_value ignored = nullptr;
    if (napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &view) == napi_ok) {
      napi_call_function(env, undefined, on_batch, 1, &view, &ignored);
    }
    return;
  }
  std::unique_ptr<Item> owned(item);
  if (session->on_end.IsEmpty()) return;
  napi_value arg = nullptr;
  if (owned->status.ok() ? napi_get_null(env, &arg) != napi_ok
                         : (arg = CaptureErrorValue(env, owned->status)) == nullptr) {
    return;
  }
  napi_value ignored = nullptr;
  napi_call_function(env, undefined, session->on_end.Value(), 1, &arg, &ignored);
}

// ---- Options --------------------------------------------------------------------------------

[[noreturn]] void ThrowOption(Napi::Env env, const std::string& key, const std::string& rule) {
  Napi::TypeError err = Napi::TypeError::New(env, "capture option `" + key + "`: " + rule);
  err.Set("code", Napi::String::New(env, "INVALID_OPTION"));
  throw err;
}

// Every option is required: the defaults are ts/src's (config.ts). The ranges of the options a
// user sets are those of its INTEGER_LIMITS table, with the same rule text, so that a value TS let
// through is never refused here (ts/test/limits.test.ts feeds every bound and its neighbour to
// both); the others' are only what the C++ side can represent or mechanically needs.
double NumberOption(Napi::Object opts, const char* key, double min, double max, bool integer) {
  Napi::Env env = opts.Env();
  Napi::Value v = opts.Get(key);
  auto text = [](double d) {
    return d >= 9e15 ? std::string("2^53") : std::to_string(static_cast<long long>(d));
  };
  const std::string rule =
      std::string(integer ? "integer" : "number") + " from " + text(min) + " to " + text(max);
  const std::string must = std::string(integer ? "must be an " : "must be a ") + rule;
  if (v.IsUndefined()) ThrowOption(env, key, "is required (" + rule + ")");
  if (!v.IsNumber()) ThrowOption(env, key, must);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || d < min || d > max || (integer && d != std::floor(d))) {
    ThrowOption(env, key, must);
  }
  return d;
}

bool BooleanOption(Napi::Object opts, const char* key) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) ThrowOption(opts.Env(), key, "is required (a boolean)");
  if (!v.IsBoolean()) ThrowOption(opts.Env(), key, "must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

CaptureOptions ParseOptions(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) ThrowOption(env, "opts", "must be an object");
  Napi::Object opts = value.As<Napi::Object>();
  CaptureOptions o;
  Napi::Value iface = opts.Get("interface");
  Napi::Value file = opts.Get("file");
  bool has_iface = !iface.IsUndefined() && !iface.IsNull();
  bool has_file = !file.IsUndefined() && !file.IsNull();
  if (has_iface == has_file) ThrowOption(env, "interface", "exactly one of `interface` and `file` is required");
  if (has_iface) {
    if (!iface.IsString() || iface.As<Napi::String>().Utf8Value().empty()) {
      ThrowOption(env, "interface", "must be a non-empty string");
    }
    o.interface = iface.As<Napi::String>().Utf8Value();
  } else {
    if (!file.IsString() || file.As<Napi::String>().Utf8Value().empty()) {
      ThrowOption(env, "file", "must be a non-empty string");
    }
    o.file = file.As<Napi::String>().Utf8Value();
  }
  Napi::Value ports = opts.Get("ports");
  if (!ports.IsArray()) ThrowOption(env, "ports", "must be an array of integers 1-65535");
  Napi::Array arr = ports.As<Napi::Array>();
  if (arr.Length() > 65535) ThrowOption(env, "ports", "must be an array of integers 1-65535");
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value p = arr.Get(i);
    double d = p.IsNumber() ? p.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 1 && d <= 65535 && d == std::floor(d))) {
      ThrowOption(env, "ports", "must be an array of integers 1-65535");
    }
    o.ports.push_back(static_cast<uint16_t>(d));
  }
  if (has_iface && o.ports.empty()) ThrowOption(env, "ports", "must not be empty for a live capture");
  constexpr double kMax = 9007199254740991.0;
  // libpcap's own maximum snap length.
  o.snaplen = static_cast<int>(NumberOption(opts, "snaplen", 1, 262144, true));
  // The user's options: ts/src/config.ts INTEGER_LIMITS.
  o.buffer_bytes =
      static_cast<int>(NumberOption(opts, "captureBufferBytes", 1 << 20, 1 << 30, true));
  o.sample_rate = NumberOption(opts, "sampleRate", 0, 1, false);
  o.max_connections =
      static_cast<size_t>(NumberOption(opts, "maxConcurrentConnections", 1, 250000, true));
  o.idle_timeout_ms = static_cast<int64_t>(
      NumberOption(opts, "connectionIdleTimeoutMs", 1000, 2147483647.0, true));
  o.max_buffered_bytes =
      static_cast<uint64_t>(NumberOption(opts, "maxBufferedBytes", 1 << 20, 1 << 30, true));
  // An event's length is a u32.
  o.batch_bytes = static_cast<size_t>(NumberOption(opts, "batchBytes", 1, 4294967295.0, true));
  // A batch always goes into an empty queue, so any bound from 1 works.
  o.max_queued_bytes = static_cast<uint64_t>(NumberOption(opts, "maxQueuedBytes", 1, kMax, true));
  return o;
}

// ---- Entry points ---------------------------------------------------------------------------

// Marks the Externals that start() returns: any other addon can make an External, and reading one
// of theirs as ours would be memory corruption. Random, fixed forever (changing it only breaks
// handles across two builds in one process, which cannot be mixed anyway).
constexpr napi_type_tag kSessionTag = {0x6b1f3c9d2e7a4058ULL, 0x93c4e1a7b25d6f08ULL};

using SessionHandle = Napi::External<std::shared_ptr<Session>>;

std::shared_ptr<Session> SessionOf(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<SessionHandle>().CheckTypeTag(&kSessionTag)) {
    Napi::TypeError err = Napi::TypeError::New(
        info.Env(), std::string(fn) + "(h): `h` must be a capture handle returned by start()");
    err.Set("code", Napi::String::New(info.Env(), "INVALID_HANDLE"));
    throw err;
  }
  return *info[0].As<SessionHandle>().Data();
}

template <typename Fn>
Napi::Value Guard(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("capture-shim: ") + e.what());
  }
}

Napi::Value ListInterfacesJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::string error;
    std::vector<std::string> names = ListInterfaces(&error);
    if (!error.empty()) {
      CaptureStatus s;
      s.code = CaptureErrorCode::kOpenFailed;
      s.message = error;
      throw MakeError(env, s);
    }
    Napi::Array arr = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
    }
    return arr;
  });
}

Napi::Value StartJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    CaptureOptions options = ParseOptions(env, info.Length() > 0 ? info[0] : env.Undefined());
    bool reuse_batches = BooleanOption(info[0].As<Napi::Object>(), "reuseBatches");
    if (info.Length() < 3 || !info[1].IsFunction() || !info[2].IsFunction()) {
      throw Napi::TypeError::New(env, "start(opts, onBatch, onEnd): onBatch and onEnd must be functions");
    }
    // What the process freed before the capture (V8's compile of the HTTP core, module loading) stays in
    // glibc's heap, resident, beneath the ring and batches about to be mapped: handing it back first keeps
    // the sidecar's peak RSS lower (docs/performance.md, "Live capture: the start-up compile's peak memory").
    malloc_trim(0);
    CaptureStatus status;
    std::unique_ptr<Capture> capture = Capture::Open(options, &status);
    if (!capture) throw MakeError(env, status);

    auto session = std::make_shared<Session>();
    session->capture = std::move(capture);
    session->pool = session->capture->pool();
    session->on_end = Napi::Persistent(info[2].As<Napi::Function>());
    session->reuse_batches = reuse_batches;
    session->max_queued_bytes = options.max_queued_bytes;
    session->self = session;
    session->tsfn = BatchFunction::New(
        env, info[1].As<Napi::Function>(), "capture-shim", 0, 1,
        session.get(), [](Napi::Env, void*, Session* s) {
          // Usually the thread has queued its end and is returning. But the environment may be
          // going away under a capture that still runs (a Worker terminated, the process exiting):
          // then nothing else will stop it, and joining alone would wait forever (and a thread
          // waiting for room in the queue would wait for a JS thread that is gone).
          s->Close();
          s->capture->Stop();
          s->capture->Join();
          s->on_end.Reset();
          s->self.reset();     // may destroy the session (the handle may still hold it)
        });
    session->capture->Start(session.get());
    SessionHandle handle = SessionHandle::New(
        env, new std::shared_ptr<Session>(session),
        [](Napi::Env, std::shared_ptr<Session>* holder) { delete holder; });
    handle.TypeTag(&kSessionTag);
    return handle;
  });
}

Napi::Value StopJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    SessionOf(info, "stop")->capture->Stop();
    return info.Env().Undefined();
  });
}

Napi::Value StatsJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    CaptureStats stats = SessionOf(info, "stats")->capture->Stats();
    Napi::Object out = Napi::Object::New(env);
    ForEachCounter(stats, [&](const char* name, uint64_t value) {
      out.Set(name, Napi::Number::New(env, static_cast<double>(value)));
    });
    return out;
  });
}

// shareBudget(h, coreHeldBytes): the HTTP core's held bytes, after each batch it decoded; the
// reassembly's share of maxBufferedBytes becomes the rest. Returns the reassembly's held bytes, for
// the core's share (docs/internals.md §6).
Napi::Value ShareBudgetJs(const Napi::CallbackInfo& info) {
  return Guard(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::shared_ptr<Session> session = SessionOf(info, "shareBudget");
    const double held =
        info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
    if (!(held >= 0 && held <= 9007199254740991.0)) {
      throw Napi::TypeError::New(env, "shareBudget(h, coreHeldBytes): an integer in [0, 2^53)");
    }
    const uint64_t reassembly = session->capture->ShareBudget(static_cast<uint64_t>(held));
    return Napi::Number::New(env, static_cast<double>(reassembly));
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("listInterfaces", Napi::Function::New(env, ListInterfacesJs, "listInterfaces"));
  exports.Set("start", Napi::Function::New(env, StartJs, "start"));
  exports.Set("stop", Napi::Function::New(env, StopJs, "stop"));
  exports.Set("stats", Napi::Function::New(env, StatsJs, "stats"));
  exports.Set("shareBudget", Napi::Function::New(env, ShareBudgetJs, "shareBudget"));
  return exports;
}

}  // namespace
}  // namespace capture_shim

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return capture_shim::Init(env, exports);
}

NODE_API_MODULE(capture_shim, InitModule)
