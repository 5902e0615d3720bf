#include <seedval/transport/faulty.h>
