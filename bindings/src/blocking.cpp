// Blocking calls off the GIL, cancellable with Ctrl-C, with callbacks on the calling thread.
#include <atomic>
#include <chrono>
#include <thread>

#include "bindings.h"

namespace seedval::python {
namespace {

unsigned long g_main_thread = 0;

void run_posted(std::vector<std::function<void()>>& queue) {
  for (auto& f : queue) f();
}

/// The thread the main thread's blocking calls run on, kept from one call to the next: starting a thread
/// costs tens of microseconds, as long as reading a MiB of device memory takes. One call at a time; a
/// call made while it is busy (a progress callback that reads memory) gets a thread of its own.
class Worker {
 public:
  /// The worker, or nullptr when it is busy. Give it back with release() once its job has finished.
  static Worker* acquire() {
    static auto* worker = new Worker();  // never destroyed: its thread waits for work until the process ends
    return worker->busy_.exchange(true) ? nullptr : worker;
  }
  void release() { busy_.store(false); }
  /// Hands `job` to the thread; returns at once.
  void start(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      job_ = std::move(job);
      pending_.store(true, std::memory_order_release);
    }
    wake_.notify_one();
  }

 private:
  Worker() {
    std::thread([this] { loop(); }).detach();
  }
  [[noreturn]] void loop() {
    for (;;) {
      std::function<void()> job;
      // A caller making calls back to back hands over the next within microseconds: wait for it awake
      // a little (waking a sleeping thread costs tens of microseconds on a virtual machine).
      for (int i = 0; i < 2000 && !pending_.load(std::memory_order_acquire); ++i) std::this_thread::yield();
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return static_cast<bool>(job_); });
        pending_.store(false, std::memory_order_relaxed);
        job = std::move(job_);
        job_ = nullptr;
      }
      job();
    }
  }
  std::atomic<bool> busy_{false};
  std::atomic<bool> pending_{false};  ///< a job is waiting (read without the lock while spinning)
  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> job_;
};

}  // namespace

void init_main_thread() {
  g_main_thread = py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
}

void Mailbox::post(std::function<void()> f) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(f));
  }
  wake_.notify_all();
}

Device& DeviceHandle::get() const {
  Device* d = device_.load();
  if (d == nullptr)
    throw InvalidArgumentError(
        ErrorCode::invalid_argument,
        board_ == nullptr ? "this device was lent to a test that has ended; use it only inside the test"
                          : "this device session is closed; connect to the board again");
  return *d;
}

void DeviceHandle::close() {
  if (!owned_) {
    device_ = nullptr;
    return;
  }
  py::gil_scoped_release release;  // a call in flight on another thread, and closing a link, may take time
  std::lock_guard lock(mutex_);
  device_ = nullptr;
  owned_.reset();
}

void run_blocking(const std::function<void(std::stop_token, Mailbox&)>& work, bool inline_ok) {
  Mailbox box;
  // Off the main thread (a Python test body running on a site's thread) Python has no signals to
  // check, and the caller is itself a blocking call: run here.
  if (inline_ok || PyThread_get_thread_ident() != g_main_thread) {
    {
      py::gil_scoped_release release;
      work(std::stop_token{}, box);  // a token without state: never stopped, allocates nothing
    }
    std::vector<std::function<void()>> posted;
    std::swap(posted, box.queue_);
    run_posted(posted);
    return;
  }

  std::stop_source stop;
  std::exception_ptr failure;       // what the work threw
  std::exception_ptr interruption;  // KeyboardInterrupt, or what a callback raised
  {
    py::gil_scoped_release release;
    auto job = [&] {
      try {
        work(stop.get_token(), box);
      } catch (...) {
        failure = std::current_exception();
      }
      // Notified under the lock: once the caller sees done_ this job touches `box` no more.
      std::lock_guard lock(box.mutex_);
      box.done_ = true;
      box.finished_.store(true, std::memory_order_release);
      box.wake_.notify_all();
    };
    Worker* worker = Worker::acquire();
    std::optional<std::jthread> own_thread;
    if (worker != nullptr)
      worker->start(job);
    else
      own_thread.emplace(job);
    // Most calls are over in well under a millisecond: look for the end awake before sleeping on it.
    for (int i = 0; i < 2000 && !box.finished_.load(std::memory_order_acquire); ++i)
      std::this_thread::yield();
    std::unique_lock lock(box.mutex_);
    for (;;) {
      // Ctrl-C is looked for every 50 ms: fast enough for a person, rare enough to cost nothing.
      box.wake_.wait_for(lock, std::chrono::milliseconds(50),
                         [&] { return box.done_ || !box.queue_.empty(); });
      std::vector<std::function<void()>> posted;
      std::swap(posted, box.queue_);
      const bool done = box.done_;
      lock.unlock();
      {
        py::gil_scoped_acquire gil;
        if (!interruption) {
          try {
            run_posted(posted);
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
          } catch (...) {
            // Stop the work, let it wind down (a lot finishes its units in flight), then raise.
            interruption = std::current_exception();
            stop.request_stop();
          }
        }
        posted.clear();  // callbacks dropped after an interruption are freed with the GIL
      }
      lock.lock();
      if (done && box.queue_.empty()) break;
    }
    if (worker != nullptr) worker->release();
  }
  if (interruption) std::rethrow_exception(interruption);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace seedval::python
