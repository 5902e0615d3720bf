#include <seedval/transport/transport.h>

// The interface is header-only today; this unit anchors the library and its vtable.
