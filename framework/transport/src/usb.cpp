// The USB transport (libusb): see seedval/transport/usb.h.
