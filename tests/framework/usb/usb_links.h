// What test_usb's cases share besides links.h: the process's umockdev testbed.
#pragma once

#include "mock_usb.h"

namespace seedval::testing {

/// The testbed made before the first test; throws when the tests run against a real board.
UsbTestbed& testbed();
/// Whether SEEDVAL_TEST_USB_BOARD names a real board (then only the conformance cases run).
bool using_real_board();

}  // namespace seedval::testing
