// Shared pieces of the Python bindings (seedval._seedval): one binding file per area, and the two
// mechanisms every area uses, the error mapping and blocking calls off the GIL.
//
// Blocking calls: every call that waits on a device releases the GIL. A long one (bulk memory, a test,
// a program, a lot) called from Python's main thread runs on a worker thread while the main thread
// waits: it checks for Ctrl-C (a KeyboardInterrupt asks the work to stop, waits for it to wind down,
// then is raised) and runs the callbacks the work posted (progress), so Python code only ever runs on
// the thread that called.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <vector>

#include <pybind11/pybind11.h>

#include <seedval/boards/board.h>
#include <seedval/core/error.h>
#include <seedval/device/device.h>
#include <seedval/exec/program.h>
#include <seedval/exec/record.h>

namespace seedval::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_boards(py::module_& m);
void bind_tests(py::module_& m);
void bind_results(py::module_& m);

/// A unit's insertion as Python sees it, with the program that judged it (for its JSON record).
struct UnitResult {
  UnitRecord record;
  std::shared_ptr<const Program> program;
};

/// A lot as Python sees it: its record, the program, and the report files written.
struct LotRun {
  LotResult lot;
  std::shared_ptr<const Program> program;
  std::vector<std::string> files;
};

/// The Python class of a seedval error code (seedval.TimeoutError for ErrorCode::timeout, ...).
py::handle error_class(ErrorCode code);
/// seedval.Error, the base of them all.
py::handle error_base_class();
/// Python exceptions a Python test body raises to end as failed or skipped.
py::handle test_failed_class();
py::handle test_skipped_class();
/// The C++ error a Python exception stands for: a seedval.Error keeps its code; KeyboardInterrupt is a
/// cancellation; anything else is `fallback`. Call with the GIL held.
[[noreturn]] void rethrow_as_cpp(const py::error_already_set& e, ErrorCode fallback);

/// Callbacks posted by work running off the GIL, run on the calling thread.
class Mailbox {
 public:
  /// From any thread: queue `f` to run on the calling thread, with the GIL.
  void post(std::function<void()> f);

 private:
  friend void run_blocking(const std::function<void(std::stop_token, Mailbox&)>&, bool);
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::function<void()>> queue_;  // a vector: constructing it allocates nothing
  bool done_ = false;
  std::atomic<bool> finished_{false};  ///< done_, readable without the lock
};

/// Remembers the interpreter's main thread (call once, at import).
void init_main_thread();

/// Runs `work` without the GIL and returns its result (see the header comment). `inline_ok` lets a short
/// call run on the calling thread (it cannot then be interrupted by Ctrl-C, and is over in microseconds).
/// C++ errors come out as they were thrown; the translator makes them Python exceptions.
void run_blocking(const std::function<void(std::stop_token, Mailbox&)>& work, bool inline_ok = false);

/// run_blocking for work that returns a value.
template <typename F>
auto blocking(F&& work, bool inline_ok = false) {
  using R = std::invoke_result_t<F&, std::stop_token, Mailbox&>;
  if constexpr (std::is_void_v<R>) {
    run_blocking([&](std::stop_token stop, Mailbox& box) { work(stop, box); }, inline_ok);
  } else {
    std::optional<R> out;
    run_blocking([&](std::stop_token stop, Mailbox& box) { out.emplace(work(stop, box)); }, inline_ok);
    return std::move(*out);
  }
}

/// A Device as Python holds it: owned (a session opened with Board.connect, closed by close() or the
/// end of a `with` block) or borrowed (the device a Python test is given, usable while the test runs).
/// A Device serves one caller at a time: calls on an owned session from several Python threads take
/// turns (a lock taken without the GIL), and a session closed by one thread while another uses it
/// waits for that call to end.
class DeviceHandle {
 public:
  DeviceHandle(std::shared_ptr<Board> board, std::unique_ptr<Device> device)
      : board_(std::move(board)), owned_(std::move(device)), device_(owned_.get()) {}
  explicit DeviceHandle(Device& borrowed) : device_(&borrowed) {}

  /// The device; throws InvalidArgumentError once closed (or once the test that lent it has ended).
  /// Only for what does not call the device (its name, its link counters).
  Device& get() const;
  bool closed() const { return device_.load() == nullptr; }
  bool borrowed() const { return owned_ == nullptr; }
  void close();
  const std::shared_ptr<Board>& board() const { return board_; }
  /// Runs `f` on the device without the GIL, cancellable on the main thread (see run_blocking), holding
  /// the session's lock. The device's stop token is the call's while it runs (an owned device only: a
  /// borrowed one keeps the token of the test that lent it).
  template <typename F>
  auto call(F&& f, bool inline_ok = false) {
    get();  // a closed session fails before any thread is started
    return blocking(
        [&](std::stop_token stop, Mailbox&) {
          std::unique_lock lock(mutex_, std::defer_lock);
          if (!borrowed()) lock.lock();
          Device& d = get();  // closed while this call waited for the lock
          if (!borrowed()) d.set_stop_token(stop);
          return f(d);
        },
        inline_ok);
  }

 private:
  std::shared_ptr<Board> board_;
  std::unique_ptr<Device> owned_;
  std::atomic<Device*> device_{nullptr};  ///< read with the GIL, cleared by close() without it
  std::mutex mutex_;
};

}  // namespace seedval::python
