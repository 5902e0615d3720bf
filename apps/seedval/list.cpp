// seedval list: what this build knows: registered tests, board backends, descriptors and programs; and
// the USB devices attached, SeedChip evaluation boards first with the URI that opens each.
#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include <seedval/boards/board.h>
#include <seedval/core/paths.h>
#include <seedval/testapi/test.h>
#include <seedval/transport/usb.h>
#include <seedval/transport/usb_function.h>

#include "common.h"

namespace seedval::cli {
namespace {

int list(const std::string& what) {
  if (what == "tests") {
    for (const auto& name : TestRegistry::instance().names()) {
      const auto& t = TestRegistry::instance().get(name);
      fmt::print("{:<18} {}\n", name, t.description);
      for (const auto& p : t.params)
        fmt::print("    --param {}=<{}> (default {}) {}\n", p.name, to_string(p.type),
                   to_string(p.default_value), p.description);
      for (const auto& m : t.measurements)
        fmt::print("    measures {} [{}] {}\n", m.name, m.unit.symbol.empty() ? "-" : m.unit.symbol,
                   m.description);
    }
  } else if (what == "usb") {
    auto devices = list_usb_devices();
    const auto is_board = [](const UsbDeviceInfo& d) {
      return d.vendor_id == usb::kEvbVendorId && d.product_id == usb::kEvbProductId;
    };
    std::stable_partition(devices.begin(), devices.end(), is_board);
    for (const auto& d : devices) {
      const std::string uri = UsbAddress{d.vendor_id, d.product_id, d.serial}.to_string();
      fmt::print("{:<32} {}\n", is_board(d) ? uri : "-", d.to_string());
    }
    if (devices.empty()) fmt::print("no USB devices are present\n");
  } else if (what == "backends") {
    for (const auto& b : board_backends()) fmt::print("{}\n", b);
  } else {
    const auto folder = data_root() / (what == "boards" ? "boards" : "fixtures/programs");
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(folder))
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) fmt::print("{}\n", n);
  }
  return kOk;
}

}  // namespace

void add_list(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "list", "list registered tests, board backends, board descriptors, programs or USB devices");
  cmd->add_option("what", *what, "tests, backends, boards, programs or usb (the USB devices attached)")
      ->required()
      ->check(CLI::IsMember({"tests", "backends", "boards", "programs", "usb"}));
  cmd->callback([what] { throw ExitRequest{guarded("list", [&] { return list(*what); })}; });
}

}  // namespace seedval::cli
