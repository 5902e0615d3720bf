// seedval._seedval: the compiled half of the `seedval` Python package, which re-exports it.
#include <seedval/exec/lot.h>

#include "bindings.h"

PYBIND11_MODULE(_seedval, m) {
  namespace python = seedval::python;
  m.doc() = "seedval's C++ core; import `seedval`, which re-exports it.";
  python::init_main_thread();
  python::bind_errors(m);
  python::bind_results(m);
  python::bind_boards(m);
  python::bind_tests(m);
  m.attr("__version__") = std::string(seedval::seedval_version());
}
