#include <algorithm>

#include <seedval/core/error.h>
#include <seedval/protocol/frame.h>
#include <seedval/transport/usb_function.h>

namespace seedval::usb {

UsbFunctionStream::UsbFunctionStream(Serve serve, Sink sink)
    : serve_(std::move(serve)), sink_(std::move(sink)) {
  if (!serve_ || !sink_)
    throw InvalidArgumentError(ErrorCode::invalid_argument, "usb function: needs a server and a sink");
  worker_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

UsbFunctionStream::UsbFunctionStream(std::shared_ptr<protocol::RequestHandler> handler, Sink sink)
    : UsbFunctionStream(
          [handler = std::move(handler)](std::span<const std::uint8_t> request,
                                         std::vector<std::uint8_t>& response) {
            protocol::serve(*handler, request, response);
          },
          std::move(sink)) {}

UsbFunctionStream::~UsbFunctionStream() {
  worker_.request_stop();
  if (worker_.joinable()) worker_.join();
}

void UsbFunctionStream::feed(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  {
    std::lock_guard lock(mutex_);
    input_.insert(input_.end(), bytes.begin(), bytes.end());
    split_frames_locked();
  }
  work_.notify_one();
}

std::span<const std::uint8_t> next_frame(std::span<const std::uint8_t> bytes, std::size_t& at,
                                         std::uint64_t& skipped) {
  while (at < bytes.size()) {
    std::optional<std::size_t> size;
    try {
      size = protocol::frame_size(bytes.subspan(at));
    } catch (const ProtocolError&) {
      // Look for the next magic (ED 5E; a last byte ED may start one).
      std::size_t next = at + 1;
      while (next < bytes.size() &&
             !(bytes[next] == 0xED && (next + 1 == bytes.size() || bytes[next + 1] == 0x5E)))
        ++next;
      skipped += next - at;
      at = next;
      continue;
    }
    if (!size || bytes.size() - at < *size) return {};
    const auto frame = bytes.subspan(at, *size);
    at += *size;
    return frame;
  }
  return {};
}

// Moves every complete frame at the front of input_ to frames_.
void UsbFunctionStream::split_frames_locked() {
  std::size_t at = 0;
  for (auto frame = next_frame(input_, at, stats_.skipped_bytes); !frame.empty();
       frame = next_frame(input_, at, stats_.skipped_bytes))
    frames_.emplace_back(frame.begin(), frame.end());
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(at));
}

void UsbFunctionStream::reset(bool drop_served) {
  {
    std::lock_guard lock(mutex_);
    input_.clear();
    frames_.clear();
    ++stats_.resets;
    if (drop_served) ++generation_;
  }
  idle_.notify_all();
}

void UsbFunctionStream::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return frames_.empty() && !serving_; });
}

UsbFunctionStats UsbFunctionStream::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void UsbFunctionStream::run(std::stop_token stop) {
  std::vector<std::uint8_t> response;
  std::unique_lock lock(mutex_);
  while (true) {
    if (!work_.wait(lock, stop, [&] { return !frames_.empty(); })) return;
    std::vector<std::uint8_t> request = std::move(frames_.front());
    frames_.pop_front();
    serving_ = true;
    const std::uint64_t generation = generation_;
    lock.unlock();
    serve_(request, response);
    lock.lock();
    ++stats_.requests;
    if (generation == generation_) {
      // The sink may block (a full IN endpoint); the lock is not held meanwhile, and frames stay in
      // order because this thread is the only one that serves.
      lock.unlock();
      sink_(std::move(response));
      response = {};
      lock.lock();
    }
    serving_ = false;
    if (frames_.empty()) idle_.notify_all();
  }
}

}  // namespace seedval::usb
