#include "emulated_board.h"

#include <atomic>

#include <fmt/core.h>

namespace seedval::testing {
namespace {

constexpr std::uint8_t kEpIn = 0x81;
constexpr std::size_t kMaxPacket = 512;
std::atomic<int> next_devnum{2};

}  // namespace

EmulatedBoard::EmulatedBoard(UsbTestbed& testbed, std::shared_ptr<protocol::RequestHandler> handler,
                             EmulatedBoardOptions options) {
  MockUsbConfig config;
  config.devnum = options.devnum != 0 ? options.devnum : static_cast<std::uint8_t>(next_devnum++);
  config.serial = options.serial.empty() ? fmt::format("EVB-{}", config.devnum) : options.serial;
  config.product = "SeedChip evaluation board";
  usb_ = std::make_unique<MockUsbDevice>(testbed, config);
  stream_ = std::make_unique<usb::UsbFunctionStream>(
      std::move(handler), [this](std::vector<std::uint8_t> frame) { send(std::move(frame)); });
  usb_->set_out_handler([this](std::uint8_t, std::span<const std::uint8_t> data) { stream_->feed(data); });
  usb_->set_control_handler([this](const usb_ctrlrequest& setup, std::span<const std::uint8_t>,
                                   std::vector<std::uint8_t>&) { return on_control(setup); });
}

EmulatedBoard::~EmulatedBoard() {
  usb_->set_out_handler({});
  usb_->set_control_handler({});
  stream_.reset();
  usb_.reset();
}

UsbAddress EmulatedBoard::address() const {
  return {usb_->config().vid, usb_->config().pid, usb_->config().serial};
}

bool EmulatedBoard::on_control(const usb_ctrlrequest& setup) {
  if (setup.bRequestType != 0x41 || setup.bRequest != usb::kRequestResetStream) return false;
  stream_->reset();
  std::lock_guard lock(mutex_);
  held_.clear();
  held_frames_ = 0;
  usb_->clear_in(kEpIn);
  return true;
}

void EmulatedBoard::shape_in(std::size_t chunk, std::size_t coalesce) {
  std::lock_guard lock(mutex_);
  chunk_ = chunk;
  coalesce_ = std::max<std::size_t>(coalesce, 1);
}

void EmulatedBoard::set_in_filter(std::function<void(std::vector<std::uint8_t>&)> filter) {
  std::lock_guard lock(mutex_);
  filter_ = std::move(filter);
}

void EmulatedBoard::send_raw(std::vector<std::uint8_t> bytes) {
  usb_->queue_in(kEpIn, std::move(bytes));
}

std::uint64_t EmulatedBoard::zero_length_packets() const {
  std::lock_guard lock(mutex_);
  return zlps_;
}

void EmulatedBoard::send(std::vector<std::uint8_t> frame) {
  std::lock_guard lock(mutex_);
  held_.insert(held_.end(), frame.begin(), frame.end());
  if (++held_frames_ < coalesce_) return;
  std::vector<std::uint8_t> burst = std::move(held_);
  held_ = {};
  held_frames_ = 0;
  if (filter_) filter_(burst);
  const std::size_t step = chunk_ == 0 ? burst.size() : chunk_;
  for (std::size_t at = 0; at < burst.size(); at += step) {
    const auto end = burst.begin() + static_cast<std::ptrdiff_t>(std::min(burst.size(), at + step));
    usb_->queue_in(kEpIn, std::vector<std::uint8_t>(burst.begin() + static_cast<std::ptrdiff_t>(at), end));
  }
  // As the gadget does: a burst that fills its last packet is ended by a zero-length packet.
  if (usb::needs_zero_length_packet(burst.size(), kMaxPacket)) {
    usb_->queue_in(kEpIn, {});
    ++zlps_;
  }
}

}  // namespace seedval::testing
