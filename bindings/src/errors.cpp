// seedval's errors in Python: one exception class per C++ error class, under seedval.Error, each also
// under the built-in exception a Python caller would expect (a seedval.TimeoutError is a TimeoutError,
// a seedval.NotFoundError a LookupError). Every instance carries `code`, the error code's name as it
// crosses the wire ("timeout"), and `message`.
#include <array>
#include <map>

#include "bindings.h"

namespace seedval::python {
namespace {

struct Classes {
  std::map<ErrorCode, py::object> by_code;
  py::object base, test_failed, test_skipped;
};

Classes& classes() {
  // Created at import and never destroyed: they outlive every object that could raise them.
  static auto* c = new Classes();
  return *c;
}

py::object make_class(py::module_& m, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("seedval.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  auto obj = py::reinterpret_steal<py::object>(cls);
  m.attr(name) = obj;
  return obj;
}

}  // namespace

py::handle error_class(ErrorCode code) {
  auto& c = classes();
  auto it = c.by_code.find(code);
  return it == c.by_code.end() ? c.base : it->second;
}

py::handle error_base_class() {
  return classes().base;
}
py::handle test_failed_class() {
  return classes().test_failed;
}
py::handle test_skipped_class() {
  return classes().test_skipped;
}

void rethrow_as_cpp(const py::error_already_set& e, ErrorCode fallback) {
  if (e.matches(classes().base)) {
    const py::object value = e.value();
    ErrorCode code = ErrorCode::internal;
    if (py::hasattr(value, "code"))
      code = error_code_from_string(py::str(value.attr("code")).cast<std::string>());
    if (code == ErrorCode::ok) code = ErrorCode::internal;
    throw_error(code, py::str(value).cast<std::string>());
  }
  if (e.matches(PyExc_KeyboardInterrupt))
    throw_error(ErrorCode::cancelled, "interrupted (KeyboardInterrupt)");
  const std::string type = py::str(e.type().attr("__name__")).cast<std::string>();
  const std::string text = py::str(e.value()).cast<std::string>();
  throw_error(fallback, text.empty() ? type : type + ": " + text);
}

void bind_errors(py::module_& m) {
  auto& c = classes();
  auto b = py::module_::import("builtins");
  c.base = make_class(m, "Error",
                      "Base of every seedval error. `code` is the error code's name (\"timeout\"), "
                      "`message` the text with its context.",
                      py::make_tuple(b.attr("Exception")));
  c.base.attr("code") = std::string(to_string(ErrorCode::internal));
  c.base.attr("message") =
      b.attr("property")(py::cpp_function([](const py::object& self) { return py::str(self); }), py::none(),
                         py::none(), "The error's text, with its context.");
  struct Spec {
    const char* name;
    std::array<ErrorCode, 2> codes;
    const char* parent;   // a seedval class, or nullptr for Error
    const char* builtin;  // a built-in base besides, or nullptr
    const char* doc;
  };
  const Spec specs[] = {
      {"InternalError",
       {ErrorCode::internal, ErrorCode::internal},
       nullptr,
       nullptr,
       "a bug in seedval itself"},
      {"InvalidArgumentError",
       {ErrorCode::invalid_argument, ErrorCode::invalid_argument},
       nullptr,
       "ValueError",
       "a value outside the contract"},
      {"ConfigError",
       {ErrorCode::config, ErrorCode::config},
       nullptr,
       "ValueError",
       "a malformed board descriptor, program, population or limits file"},
      {"ProtocolError",
       {ErrorCode::protocol, ErrorCode::checksum},
       nullptr,
       nullptr,
       "a malformed frame or payload, or a frame whose checksum does not match"},
      {"UnsupportedError",
       {ErrorCode::unsupported, ErrorCode::unsupported},
       nullptr,
       "NotImplementedError",
       "an operation or capability the device does not have"},
      {"AddressError",
       {ErrorCode::address, ErrorCode::read_only},
       nullptr,
       "LookupError",
       "a register or memory address that does not exist, or a write to a read-only register"},
      {"TransportError",
       {ErrorCode::transport, ErrorCode::busy},
       nullptr,
       "ConnectionError",
       "the link to the board failed, the board vanished, or it is busy (leased to another client)"},
      {"TimeoutError",
       {ErrorCode::timeout, ErrorCode::timeout},
       "TransportError",
       "TimeoutError",
       "a deadline passed"},
      {"DeviceError",
       {ErrorCode::device, ErrorCode::device},
       nullptr,
       nullptr,
       "the device reported a fault while executing a request"},
      {"CancelledError",
       {ErrorCode::cancelled, ErrorCode::cancelled},
       nullptr,
       nullptr,
       "a stop was requested"},
      {"NotFoundError",
       {ErrorCode::not_found, ErrorCode::not_found},
       nullptr,
       "LookupError",
       "a named thing (board, test, file, register) does not exist"},
      {"IoError", {ErrorCode::io, ErrorCode::io}, nullptr, "OSError", "a file could not be read or written"},
  };
  for (const Spec& s : specs) {
    py::object parent = s.parent ? py::object(m.attr(s.parent)) : c.base;
    py::tuple bases = s.builtin ? py::make_tuple(parent, b.attr(s.builtin)) : py::make_tuple(parent);
    py::object cls = make_class(m, s.name, s.doc, bases);
    cls.attr("code") = std::string(to_string(s.codes[0]));  // the code of one raised from Python
    for (ErrorCode code : s.codes) c.by_code[code] = cls;
  }
  c.test_failed = make_class(m, "TestFailed",
                             "Raised by TestContext.fail(): the Python test ends as failed, with the reason.",
                             py::make_tuple(b.attr("Exception")));
  c.test_skipped = make_class(
      m, "TestSkipped", "Raised by TestContext.skip(): the Python test ends as skipped, with the reason.",
      py::make_tuple(b.attr("Exception")));

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      py::handle cls = error_class(e.code());
      py::object instance = cls(e.message());
      instance.attr("code") = std::string(to_string(e.code()));
      PyErr_SetObject(cls.ptr(), instance.ptr());
    }
  });
  m.def(
      "error_class", [](const std::string& code) { return error_class(error_code_from_string(code)); },
      py::arg("code"), "The exception class of an error code's name (\"timeout\" -> seedval.TimeoutError).");
}

}  // namespace seedval::python
