// Preempts a synchronous JavaScript function from a persistent watchdog thread.
//
// run(fn, timeoutMs) records a deadline, calls fn inside a v8::TryCatch and returns true when
// the watchdog stopped fn for THIS call (the termination is then cancelled, so the caller gets
// control back and throws its own error); otherwise it returns false, rethrows fn's exception,
// or leaves a termination aimed at an enclosing call pending so that V8 keeps unwinding to it.
//
// One watchdog thread per Node environment (main thread or worker), started when the addon is
// loaded there and joined by an environment cleanup hook, so a worker leaves no thread behind.
//
// Invariants (all under mu_):
// - frames_ mirrors the nesting of run() calls on the JS thread. C++ frames always unwind
//   through Leave (a termination skips JS frames only), so no frame is ever skipped.
// - The watchdog calls TerminateExecution only while its target frame is in frames_; the
//   target's own Leave is the only place that cancels it. A termination aimed at an outer frame
//   is left pending while inner frames leave.
// - A fn that returned just as the watchdog fired: its Leave finds itself targeted and cancels
//   the pending termination; nothing leaks into the caller.
#include <node.h>
#include <v8.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// While a termination is outstanding the watchdog re-asserts it this often: C++ between fn and
// its boundary that is not ours (an inspector evaluation, a host's own boundary) may cancel it,
// and the target would then run on unchecked.
constexpr auto kReassertEvery = std::chrono::milliseconds(10);

struct Frame {
  uint64_t id;
  Clock::time_point deadline;
};

class Watchdog {
 public:
  explicit Watchdog(v8::Isolate* isolate) : isolate_(isolate), thread_([this] { Loop(); }) {}

  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  uint64_t Enter(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t id = ++next_id_;
    frames_.push_back({id, deadline});
    // The watchdog sleeps until wake_at_ and re-reads frames_ then, so it needs waking only
    // when this deadline is earlier: in a loop of calls with one limit, about once per limit.
    bool wake = deadline < wake_at_;
    if (wake) wake_at_ = deadline;
    lock.unlock();
    if (wake) cv_.notify_one();
    return id;
  }

  // True when this frame's own deadline terminated execution; the termination is cancelled.
  bool Leave(uint64_t id) {
    std::unique_lock<std::mutex> lock(mu_);
    frames_.pop_back();
    if (!terminating_ || target_ != id) return false;
    isolate_->CancelTerminateExecution();
    terminating_ = false;
    // Enclosing frames still have deadlines to watch; the watchdog slept while terminating.
    bool wake = !frames_.empty();
    lock.unlock();
    if (wake) cv_.notify_one();
    return true;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      if (terminating_) {
        wake_at_ = Clock::time_point::max();
        if (cv_.wait_for(lock, kReassertEvery) == std::cv_status::timeout && terminating_ && !stop_) {
          isolate_->TerminateExecution();
        }
        continue;
      }
      if (frames_.empty()) {
        wake_at_ = Clock::time_point::max();
        cv_.wait(lock);
        continue;
      }
      // The earliest deadline wins; on a tie the outermost frame (it covers the inner ones).
      size_t best = 0;
      for (size_t i = 1; i < frames_.size(); i++) {
        if (frames_[i].deadline < frames_[best].deadline) best = i;
      }
      if (frames_[best].deadline <= Clock::now()) {
        target_ = frames_[best].id;
        terminating_ = true;
        isolate_->TerminateExecution();
        continue;
      }
      wake_at_ = frames_[best].deadline;
      cv_.wait_until(lock, wake_at_);
    }
  }

  v8::Isolate* isolate_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Frame> frames_;
  Clock::time_point wake_at_ = Clock::time_point::max();
  uint64_t next_id_ = 0;
  uint64_t target_ = 0;
  bool terminating_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the fields it reads are initialised
};

Watchdog* From(const v8::FunctionCallbackInfo<v8::Value>& args) {
  return static_cast<Watchdog*>(args.Data().As<v8::External>()->Value());
}

void Run(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() < 2 || !args[0]->IsFunction() || !args[1]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(isolate, "run(fn, timeoutMs)")));
    return;
  }
  Watchdog* watchdog = From(args);
  v8::Local<v8::Function> fn = args[0].As<v8::Function>();
  double ms = args[1].As<v8::Number>()->Value();
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
  v8::Local<v8::Context> context = isolate->GetCurrentContext();

  v8::TryCatch try_catch(isolate);
  uint64_t id = watchdog->Enter(deadline);
  v8::MaybeLocal<v8::Value> result = fn->Call(context, v8::Undefined(isolate), 0, nullptr);
  if (watchdog->Leave(id)) {
    args.GetReturnValue().Set(true);
    return;
  }
  // An enclosing deadline (or the worker being terminated): leave it pending, as Node's vm
  // does; V8 keeps unwinding to the frame that cancels it.
  if (try_catch.HasTerminated()) return;
  if (result.IsEmpty()) {
    try_catch.ReThrow();
    return;
  }
  args.GetReturnValue().Set(false);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  // The isolate running this module's initialiser: Context::GetIsolate is gone in V8 14 (Node 26).
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  Watchdog* watchdog;
  try {
    watchdog = new Watchdog(isolate);
  } catch (const std::exception&) {
    // No thread to be had (a process or container thread limit): fail the load, not the process.
    isolate->ThrowException(v8::Exception::Error(v8::String::NewFromUtf8Literal(isolate, "cannot start the watchdog thread")));
    return;
  }
  node::AddEnvironmentCleanupHook(isolate, [](void* data) { delete static_cast<Watchdog*>(data); }, watchdog);
  v8::Local<v8::External> data = v8::External::New(isolate, watchdog);
  v8::Local<v8::Function> run = v8::FunctionTemplate::New(isolate, Run, data)->GetFunction(context).ToLocalChecked();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "run"), run).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "version"), v8::Integer::New(isolate, 1)).Check();
}
