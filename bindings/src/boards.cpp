// Boards and devices: open a board, connect, identify, registers, memory (bytes, any writable buffer, or
// numpy arrays filled in place), tensor operations, the operating point and sensors, and shmoo plots.
#include <cstring>
#include <variant>

#include <pybind11/stl.h>

#include <seedval/chip/registers.h>
#include <seedval/inference/graph.h>
#include <seedval/inference/runner.h>
#include <seedval/stress/operating_point.h>
#include <seedval/stress/search.h>

#include "bindings.h"

namespace seedval::python {
namespace {

using RegisterName = std::variant<std::uint32_t, std::string>;

/// Bulk memory calls below this size run on the calling thread (they take well under a millisecond).
constexpr std::size_t kInlineBytes = 256u << 10;

/// A contiguous view of a Python buffer (bytes, bytearray, memoryview, numpy array), held while the
/// call runs without the GIL.
class BufferView {
 public:
  BufferView(py::handle obj, bool writable) {
    const int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj.ptr(), &view_, flags) != 0) throw py::error_already_set();
  }
  ~BufferView() { PyBuffer_Release(&view_); }
  BufferView(const BufferView&) = delete;
  BufferView& operator=(const BufferView&) = delete;
  std::uint8_t* data() const { return static_cast<std::uint8_t*>(view_.buf); }
  std::size_t size() const { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

std::uint32_t register_address(const RegisterName& r) {
  if (const auto* a = std::get_if<std::uint32_t>(&r)) return *a;
  return chip::register_by_name(std::get<std::string>(r)).address;
}

py::dict register_dict(const chip::RegisterInfo& r) {
  py::dict d;
  d["name"] = std::string(r.name);
  d["address"] = r.address;
  d["access"] = std::string(to_string(r.access));
  d["reset_value"] = r.reset_value;
  d["writable_mask"] = r.writable_mask;
  d["description"] = std::string(r.description);
  py::list fields;
  for (const auto& f : chip::fields_of(r.address)) {
    py::dict fd;
    fd["name"] = std::string(f.name);
    fd["lsb"] = f.lsb;
    fd["width"] = f.width;
    fd["description"] = std::string(f.description);
    fields.append(fd);
  }
  d["fields"] = fields;
  return d;
}

py::dict sensors_dict(const protocol::SensorsResponse& s) {
  py::dict d;
  d["temperature_c"] = s.temperature_mc / 1000.0;
  d["hbm_temperature_c"] = s.hbm_temperature_mc / 1000.0;
  d["power_w"] = s.power_mw / 1000.0;
  d["current_a"] = s.current_ma / 1000.0;
  d["vdd_core_mv"] = s.vdd_core_mv;
  d["vdd_hbm_mv"] = s.vdd_hbm_mv;
  d["frequency_mhz"] = s.frequency_mhz;
  d["status"] = s.status;
  d["time_us"] = s.time_us;
  return d;
}

py::dict identity_dict(const Identity& id) {
  py::dict d;
  d["chip_id"] = id.chip_id;
  d["revision"] = id.revision_name();
  d["ecid"] = id.ecid;
  d["die"] = id.die ? py::object(py::str(chip::to_string(*id.die))) : py::object(py::none());
  d["ecid_error"] = id.ecid_error;
  d["capabilities"] = chip::capability_names(id.capabilities);
  d["memory_size"] = id.memory_size;
  d["model"] = id.model;
  return d;
}

py::dict board_info_dict(const BoardInfo& i) {
  py::dict d;
  d["name"] = i.name;
  d["backend"] = i.backend;
  d["transport"] = i.transport;
  d["description"] = i.description;
  d["file"] = i.file.string();
  py::list files;
  for (const auto& f : i.files) files.append(f.string());
  d["files"] = files;
  return d;
}

// ---- tensors: numpy arrays <-> HostTensor ----

chip::DType dtype_of(const py::handle& array) {
  const std::string name = py::str(array.attr("dtype").attr("name")).cast<std::string>();
  if (name == "float32") return chip::DType::f32;
  if (name == "float16") return chip::DType::f16;
  if (name == "int8") return chip::DType::i8;
  if (name == "uint8") return chip::DType::u8;
  if (name == "int32") return chip::DType::i32;
  if (name == "int64") return chip::DType::i64;
  if (name == "bool") return chip::DType::boolean;
  throw InvalidArgumentError(
      ErrorCode::invalid_argument,
      "an array of dtype " + name + " has no chip dtype (float32, float16, int8, uint8, int32, int64, bool)");
}

const char* numpy_name(chip::DType t) {
  switch (t) {
    case chip::DType::f32:
      return "float32";
    case chip::DType::f16:
      return "float16";
    case chip::DType::bf16:
      return "uint16";  // numpy has no bfloat16: the raw bits
    case chip::DType::i8:
      return "int8";
    case chip::DType::u8:
      return "uint8";
    case chip::DType::i32:
      return "int32";
    case chip::DType::i64:
      return "int64";
    case chip::DType::boolean:
      return "bool";
  }
  return "uint8";
}

inference::HostTensor host_tensor(const py::handle& value) {
  const py::module_ np = py::module_::import("numpy");
  const py::object array = np.attr("ascontiguousarray")(value);
  inference::HostTensor t;
  t.dtype = dtype_of(array);
  for (auto d : array.attr("shape")) t.shape.push_back(d.cast<std::int64_t>());
  const BufferView view(array, false);
  t.data.assign(view.data(), view.data() + view.size());
  return t;
}

py::object numpy_array(const inference::HostTensor& t) {
  const py::module_ np = py::module_::import("numpy");
  py::object array = np.attr("empty")(py::tuple(py::cast(t.shape)), py::arg("dtype") = numpy_name(t.dtype));
  const BufferView view(array, true);
  if (view.size() != t.data.size())
    throw InternalError(ErrorCode::internal, "tensor " + t.describe() + ": size does not match its array");
  if (!t.data.empty()) std::memcpy(view.data(), t.data.data(), t.data.size());
  return array;
}

inference::NodeAttrValue attribute_value(const std::string& name, const py::handle& v) {
  if (py::isinstance<py::bool_>(v) || py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::hasattr(v, "__array_interface__")) return host_tensor(v);
  if (py::isinstance<py::sequence>(v)) {
    bool ints = true;
    for (auto item : v) ints = ints && (py::isinstance<py::int_>(item) || py::isinstance<py::bool_>(item));
    if (ints) return v.cast<std::vector<std::int64_t>>();
    return v.cast<std::vector<double>>();
  }
  throw InvalidArgumentError(ErrorCode::invalid_argument,
                             "attribute " + name + ": expected an int, float, str, list or numpy array");
}

/// One ONNX node run on a tensor core: inputs x0.., outputs y0.. of the given dtypes and shapes.
py::list run_node(DeviceHandle& h, const std::string& op_type, const py::sequence& inputs,
                  const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& outputs,
                  const py::dict& attributes, std::optional<std::uint32_t> core, std::int64_t opset,
                  const std::string& domain) {
  inference::Graph g;
  g.name = op_type;
  g.opset = opset;
  inference::Node node;
  node.op_type = op_type;
  node.domain = domain;
  std::vector<inference::HostTensor> in;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const py::handle v = inputs[i];
    if (v.is_none()) {
      node.inputs.emplace_back();  // an absent optional input
      continue;
    }
    in.push_back(host_tensor(v));
    const std::string name = "x" + std::to_string(i);
    node.inputs.push_back(name);
    g.inputs.push_back({name, in.back().dtype, in.back().shape, {}});
  }
  std::vector<inference::OutputSpec> specs;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const std::string name = "y" + std::to_string(i);
    node.outputs.push_back(name);
    const chip::DType t = chip::dtype_from_string(outputs[i].first);
    specs.push_back({t, outputs[i].second});
    g.outputs.push_back({name, t, outputs[i].second, {}});
  }
  for (auto [k, v] : attributes) {
    const std::string name = k.cast<std::string>();
    node.attributes.push_back({name, attribute_value(name, v)});
  }
  g.nodes.push_back(std::move(node));
  inference::RunnerOptions options;
  options.core = core;
  const auto results = h.call([&](Device& d) {
    inference::GraphRunner runner(d, options);
    return runner.run(g, in, specs);
  });
  py::list out;
  for (const auto& t : results) out.append(numpy_array(t));
  return out;
}

// ---- shmoo ----

stress::Axis axis(const py::handle& v, const char* what) {
  if (py::isinstance<py::str>(v)) return stress::parse_axis(v.cast<std::string>(), what);
  const auto t = v.cast<std::tuple<double, double, double>>();
  return stress::parse_axis(std::to_string(std::get<0>(t)) + ":" + std::to_string(std::get<1>(t)) + ":" +
                                std::to_string(std::get<2>(t)),
                            what);
}

}  // namespace

void bind_boards(py::module_& m) {
  m.def(
      "registers",
      [] {
        py::list out;
        for (const auto& r : chip::register_map()) out.append(register_dict(r));
        return out;
      },
      "The SeedChip register map: name, address, access, reset value, writable mask, description, fields.");
  m.def(
      "decode_register",
      [](const RegisterName& reg, std::uint32_t value) {
        py::dict d;
        for (const auto& f : chip::fields_of(register_address(reg)))
          d[py::str(std::string(f.name))] = f.extract(value);
        return d;
      },
      py::arg("register"), py::arg("value"), "The named bit fields of `value` read from `register`.");
  m.def("backends", &board_backends, "Names of the board backends this build has.");

  py::class_<Board, std::shared_ptr<Board>>(m, "Board", "A board: what a device is reached through.")
      .def_property_readonly("name", [](const Board& b) { return b.info().name; })
      .def_property_readonly(
          "info", [](const Board& b) { return board_info_dict(b.info()); },
          "The descriptor: name, backend, transport, description, file and files read.")
      .def("describe", &Board::describe)
      .def_property_readonly(
          "has_die_socket", [](Board& b) { return b.die_socket() != nullptr; },
          "True for simulated boards, whose socket takes a chosen die.")
      .def(
          "insert",
          [](Board& b, const std::string& die, int insertion) {
            DieSocket* socket = b.die_socket();
            if (socket == nullptr)
              throw UnsupportedError(ErrorCode::unsupported,
                                     "board " + b.info().name + " has no die socket (real hardware)");
            const chip::DieId id = chip::parse_die_id(die);
            py::gil_scoped_release release;
            socket->insert(id, insertion);
          },
          py::arg("die"), py::arg("insertion") = 1,
          "Puts a die (\"LOT001-W01-X008-Y007\") in a simulated board's socket; the next connect() "
          "reaches it.")
      .def_property_readonly(
          "die",
          [](Board& b) -> py::object {
            DieSocket* socket = b.die_socket();
            if (socket == nullptr) return py::none();
            auto d = socket->current();
            return d ? py::object(py::str(chip::to_string(*d))) : py::object(py::none());
          },
          "The die in a simulated board's socket, or None.")
      .def(
          "ground_truth",
          [](Board& b, const std::string& die) -> py::object {
            DieSocket* socket = b.die_socket();
            if (socket == nullptr) return py::none();
            auto truth = socket->ground_truth(chip::parse_die_id(die));
            if (!truth) return py::none();
            py::list out;
            for (const auto& k : *truth) {
              py::dict d;
              d["class"] = k.defect_class;
              d["category"] = k.category;
              d["where"] = k.where;
              d["caught_by"] = k.caught_by;
              d["core"] = k.core;
              out.append(d);
            }
            return out;
          },
          py::arg("die"), "A simulated die's harmful defects as the model knows them ([] for a good die).")
      .def(
          "connect",
          [](const std::shared_ptr<Board>& b) {
            std::unique_ptr<Device> d;
            {
              py::gil_scoped_release release;
              d = std::make_unique<Device>(b->connect(), b->info().name);
            }
            return std::make_shared<DeviceHandle>(b, std::move(d));
          },
          "Opens a session with the device in the socket (a context manager).")
      .def("__enter__", [](const std::shared_ptr<Board>& b) { return b; })
      .def("__exit__", [](Board&, py::args) { return false; })
      .def("__repr__", [](const Board& b) { return "<seedval.Board " + b.describe() + ">"; });

  m.def(
      "open_board",
      [](const std::string& name_or_uri) {
        std::unique_ptr<Board> b;
        {
          py::gil_scoped_release release;
          b = open_board(name_or_uri);
        }
        return std::shared_ptr<Board>(std::move(b));
      },
      py::arg("board") = std::string(kDefaultBoard),
      "Opens a board: a descriptor name in boards/ (\"seedchip-sim\"), a descriptor file, or a URI "
      "(\"zmq+tcp://host:port\", \"usb:1209:5eed:SERIAL\").");

  py::class_<DeviceHandle, std::shared_ptr<DeviceHandle>>(
      m, "Device", "A session with a device. Use it as a context manager; every call releases the GIL.")
      .def_property_readonly("name", [](const DeviceHandle& h) { return h.get().name(); })
      .def_property_readonly("closed", &DeviceHandle::closed)
      .def_property_readonly(
          "board", [](const DeviceHandle& h) { return h.board(); },
          "The Board of a session opened with connect(); None for a device lent to a test.")
      .def("close", &DeviceHandle::close, "Ends the session (the link is closed).")
      .def("__enter__", [](const std::shared_ptr<DeviceHandle>& h) { return h; })
      .def("__exit__",
           [](DeviceHandle& h, py::args) {
             if (!h.borrowed()) h.close();
             return false;
           })
      .def("__repr__",
           [](const DeviceHandle& h) {
             return h.closed() ? std::string("<seedval.Device (closed)>")
                               : "<seedval.Device " + h.get().name() + ">";
           })
      .def(
          "identify",
          [](DeviceHandle& h, bool refresh) {
            return identity_dict(h.call([&](Device& d) { return d.identify(refresh); }, true));
          },
          py::arg("refresh") = false,
          "Chip id, revision, ECID and its die, capabilities, memory size, model.")
      .def(
          "ping",
          [](DeviceHandle& h, const py::bytes& data) {
            const std::string in = data;
            const auto out = h.call(
                [&](Device& d) {
                  return d.ping({reinterpret_cast<const std::uint8_t*>(in.data()), in.size()});
                },
                true);
            return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
          },
          py::arg("data") = py::bytes(), "Echoes `data` through the device: a link check.")
      .def(
          "read_register",
          [](DeviceHandle& h, const RegisterName& r) {
            return h.call(
                [&](Device& d) {
                  if (const auto* a = std::get_if<std::uint32_t>(&r)) return d.read_register(*a);
                  return d.read_register(std::string_view(std::get<std::string>(r)));
                },
                true);
          },
          py::arg("register"), "Reads a register by name (\"SCRATCH0\", any case) or address.")
      .def(
          "write_register",
          [](DeviceHandle& h, const RegisterName& r, std::uint32_t value) {
            h.call(
                [&](Device& d) {
                  if (const auto* a = std::get_if<std::uint32_t>(&r)) return d.write_register(*a, value);
                  return d.write_register(std::string_view(std::get<std::string>(r)), value);
                },
                true);
          },
          py::arg("register"), py::arg("value"), "Writes a register by name or address.")
      .def(
          "read_registers",
          [](DeviceHandle& h, const std::vector<RegisterName>& regs) {
            std::vector<protocol::RegisterOp> ops;
            ops.reserve(regs.size());
            for (const auto& r : regs)
              ops.push_back({protocol::RegisterOp::Kind::read, register_address(r), 0});
            return h.call([&](Device& d) { return d.execute(ops); }, ops.size() <= 1024);
          },
          py::arg("registers"),
          "Reads many registers in as few requests as the link allows (batched, pipelined).")
      .def(
          "write_registers",
          [](DeviceHandle& h, const std::vector<std::pair<RegisterName, std::uint32_t>>& writes) {
            std::vector<protocol::RegisterOp> ops;
            for (const auto& [r, v] : writes)
              ops.push_back({protocol::RegisterOp::Kind::write, register_address(r), v});
            h.call([&](Device& d) { d.execute(ops); }, ops.size() <= 1024);
          },
          py::arg("writes"),
          "Writes (register, value) pairs in order; on a failure the error names the operation, and "
          "those before it took effect.")
      .def(
          "read_memory",
          [](DeviceHandle& h, std::uint64_t address, std::size_t length) {
            PyObject* raw = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(length));
            if (raw == nullptr) throw py::error_already_set();
            auto out = py::reinterpret_steal<py::bytes>(raw);
            auto* p = reinterpret_cast<std::uint8_t*>(PyBytes_AS_STRING(raw));
            h.call([&](Device& d) { d.read_memory(address, {p, length}); }, length < kInlineBytes);
            return out;
          },
          py::arg("address"), py::arg("length"),
          "Reads device memory into a new bytes object (one copy: the link's).")
      .def(
          "read_memory_into",
          [](DeviceHandle& h, std::uint64_t address, const py::object& buffer) {
            const BufferView view(buffer, true);
            h.call(
                [&](Device& d) {
                  d.read_memory(address, {view.data(), view.size()});
                },
                view.size() < kInlineBytes);
          },
          py::arg("address"), py::arg("buffer"),
          "Fills a writable contiguous buffer (bytearray, memoryview, numpy array) from device memory at "
          "`address`, in place.")
      .def(
          "read_array",
          [](DeviceHandle& h, std::uint64_t address, std::size_t count, const py::object& dtype) {
            py::object array = py::module_::import("numpy").attr("empty")(count, py::arg("dtype") = dtype);
            const BufferView view(array, true);
            h.call(
                [&](Device& d) {
                  d.read_memory(address, {view.data(), view.size()});
                },
                view.size() < kInlineBytes);
            return array;
          },
          py::arg("address"), py::arg("count"), py::arg("dtype") = "uint8",
          "Reads `count` elements of `dtype` into a new numpy array, filled in place.")
      .def(
          "write_memory",
          [](DeviceHandle& h, std::uint64_t address, const py::object& data) {
            const BufferView view(data, false);
            h.call(
                [&](Device& d) {
                  d.write_memory(address, {view.data(), view.size()});
                },
                view.size() < kInlineBytes);
          },
          py::arg("address"), py::arg("data"),
          "Writes any contiguous buffer (bytes, bytearray, memoryview, numpy array) to device memory.")
      .def(
          "fill_memory",
          [](DeviceHandle& h, std::uint64_t address, std::uint64_t length, std::uint64_t pattern) {
            h.call([&](Device& d) { d.fill_memory(address, length, pattern); });
          },
          py::arg("address"), py::arg("length"), py::arg("pattern"),
          "Fills memory with a 64-bit little-endian pattern anchored to absolute addresses.")
      .def(
          "reset",
          [](DeviceHandle& h, const std::string& kind) {
            if (kind != "soft" && kind != "hard")
              throw InvalidArgumentError(ErrorCode::invalid_argument,
                                         "reset kind must be \"soft\" or \"hard\", not " + kind);
            h.call([&](Device& d) {
              d.reset(kind == "hard" ? protocol::ResetKind::hard : protocol::ResetKind::soft);
            });
          },
          py::arg("kind") = "soft")
      .def(
          "memory_geometry",
          [](DeviceHandle& h) {
            const auto g = h.call([&](Device& d) { return d.memory_geometry(); }, true);
            py::dict out;
            out["stacks"] = g.stacks;
            out["channels"] = g.channels;
            out["banks"] = g.banks;
            out["rows"] = g.rows;
            out["columns"] = g.columns;
            return out;
          },
          "The HBM organisation: stacks, channels per stack, banks, rows, 64-bit columns per row.")
      .def(
          "sensors",
          [](DeviceHandle& h) {
            return sensors_dict(h.call([](Device& d) { return d.read_sensors(); }, true));
          },
          "Every sensor and the operating point: temperatures (degC), power (W), current (A), supplies "
          "(mV), clock (MHz), STATUS, the device's microsecond timer.")
      .def(
          "set_operating_point",
          [](DeviceHandle& h, std::uint32_t vdd_core_mv, std::uint32_t frequency_mhz,
             std::uint32_t vdd_hbm_mv) {
            return sensors_dict(h.call(
                [&](Device& d) { return d.set_operating_point(vdd_core_mv, frequency_mhz, vdd_hbm_mv); }));
          },
          py::arg("vdd_core_mv"), py::arg("frequency_mhz"), py::arg("vdd_hbm_mv") = 0,
          "Sets core supply and clock (and the HBM supply unless 0); returns the sensors after.")
      .def(
          "hold",
          [](DeviceHandle& h, double seconds, std::uint32_t core_mask, double utilisation) {
            if (!(seconds >= 0))
              throw InvalidArgumentError(ErrorCode::invalid_argument, "hold: seconds must be >= 0");
            const auto us = std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
            return sensors_dict(h.call([&](Device& d) { return d.hold(us, core_mask, utilisation); }));
          },
          py::arg("seconds"), py::arg("core_mask") = 0, py::arg("utilisation") = 1.0,
          "Holds the device idle, or with the cores of `core_mask` running a power virus; returns the "
          "sensors at the end.")
      .def(
          "tensor_capabilities",
          [](DeviceHandle& h) {
            const auto caps = h.call([](Device& d) { return d.tensor_capabilities(); }, true);
            py::dict out;
            out["cores"] = caps.cores;
            out["lanes_per_core"] = caps.lanes_per_core;
            py::list dtypes, ops;
            for (int t = 0; t < chip::kDTypeCount; ++t)
              if (caps.dtypes & (1u << t)) dtypes.append(std::string(to_string(static_cast<chip::DType>(t))));
            for (auto k : caps.operators)
              ops.append(std::string(to_string(static_cast<chip::TensorOpKind>(k))));
            out["dtypes"] = dtypes;
            out["operators"] = ops;
            return out;
          },
          "What the tensor cores run: cores, lanes per core, dtypes, operators.")
      .def("run_node", &run_node, py::arg("op_type"), py::arg("inputs"), py::arg("outputs"),
           py::arg("attributes") = py::dict(), py::arg("core") = py::none(), py::arg("opset") = 17,
           py::arg("domain") = "",
           "Runs one ONNX operator on a tensor core: `inputs` are numpy arrays (None for an absent "
           "optional input), `outputs` (dtype, shape) pairs (\"f32\", [2, 3]); returns the outputs as "
           "numpy arrays (bf16 as its uint16 bits).")
      .def(
          "shmoo",
          [](DeviceHandle& h, const py::object& voltage, const py::object& frequency,
             std::optional<std::string> test, std::uint64_t probe_elements, int probe_runs,
             std::optional<double> temperature_c) {
            const stress::Axis v = axis(voltage, "voltage"), f = axis(frequency, "frequency");
            return h.call([&](Device& d) {
              const std::string stop_name = test.value_or("timing probe");
              std::stop_token stop = d.stop_token();
              stress::SafeState safe(d);
              const stress::PointCheck check =
                  test ? stress::registered_test_check(*test, stop)
                       : stress::timing_probe(
                             {.elements = probe_elements, .runs = probe_runs, .cores = {}, .seed = 1});
              return stress::run_shmoo(d, safe, v, f, check, stop_name, stop, temperature_c);
            });
          },
          py::arg("voltage"), py::arg("frequency"), py::arg("test") = py::none(),
          py::arg("probe_elements") = 1u << 18, py::arg("probe_runs") = 4,
          py::arg("temperature_c") = py::none(),
          "Runs a check at every point of a supply x clock grid (\"600:900:25\" or (lo, hi, step), in mV "
          "and MHz): the timing probe, or a registered test. The operating point is restored after.")
      .def_property_readonly(
          "link_stats",
          [](DeviceHandle& h) {
            const LinkStats s = h.call([](Device& d) { return d.link_stats(); }, true);
            py::dict d;
            d["requests"] = s.requests;
            d["retries"] = s.retries;
            d["pipelined"] = s.pipelined;
            d["link_faults"] = s.link_faults;
            return d;
          },
          "Requests sent, sent again, pipelined, and link faults under this session.")
      .def(
          "set_timeouts",
          [](DeviceHandle& h, std::optional<double> base_s, std::optional<double> per_mib_s,
             std::optional<int> retries) {
            h.call(
                [&](Device& d) {
                  DeviceTimeouts t = d.timeouts();
                  if (base_s) t.base = Milliseconds(static_cast<std::int64_t>(*base_s * 1000));
                  if (per_mib_s) t.per_mib = Milliseconds(static_cast<std::int64_t>(*per_mib_s * 1000));
                  if (retries) t.retries = *retries;
                  d.set_timeouts(t);
                },
                true);
          },
          py::arg("base_s") = py::none(), py::arg("per_mib_s") = py::none(), py::arg("retries") = py::none(),
          "Time limits of device calls: per request, per MiB moved, and how often a request is sent again.");

  py::class_<stress::Shmoo>(m, "Shmoo", "A supply x clock grid of pass, fail and error points.")
      .def_property_readonly("voltages_mv", [](const stress::Shmoo& s) { return s.voltage.values(); })
      .def_property_readonly("frequencies_mhz", [](const stress::Shmoo& s) { return s.frequency.values(); })
      .def_readonly("test", &stress::Shmoo::test)
      .def_property_readonly("passes", &stress::Shmoo::passes)
      .def_property_readonly("errors", &stress::Shmoo::errors)
      .def_property_readonly(
          "cells",
          [](const stress::Shmoo& s) {
            py::list out;
            for (const auto& c : s.cells) {
              py::dict d;
              d["voltage_mv"] = c.voltage_mv;
              d["frequency_mhz"] = c.frequency_mhz;
              d["pass"] = c.pass;
              d["error"] = c.error;
              d["errors"] = c.errors;
              d["temperature_c"] = c.temperature_c;
              d["detail"] = c.detail;
              out.append(d);
            }
            return out;
          },
          "Every point, row by row from the lowest clock.")
      .def(
          "grid",
          [](const stress::Shmoo& s) {
            const auto nv = s.voltage.values().size(), nf = s.frequency.values().size();
            py::object a =
                py::module_::import("numpy").attr("zeros")(py::make_tuple(nf, nv), py::arg("dtype") = "int8");
            const BufferView view(a, true);
            auto* p = reinterpret_cast<std::int8_t*>(view.data());
            for (std::size_t f = 0; f < nf; ++f)
              for (std::size_t v = 0; v < nv; ++v) {
                const auto& c = s.at(v, f);
                p[f * nv + v] = c.error ? -1 : (c.pass ? 1 : 0);
              }
            return a;
          },
          "A numpy int8 array, one row per clock (lowest first), one column per supply: 1 pass, 0 fail, -1 "
          "error.")
      .def(
          "to_json", [](const stress::Shmoo& s) { return stress::to_json(s); },
          "The grid as `seedval shmoo` writes it (shmoo.json).")
      .def(
          "to_dict",
          [](const stress::Shmoo& s) {
            return py::module_::import("json").attr("loads")(stress::to_json(s));
          },
          "to_json() as a dict.")
      .def("to_svg", [](const stress::Shmoo& s) { return stress::to_svg(s); })
      .def("to_ascii", [](const stress::Shmoo& s) { return stress::to_ascii(s); })
      .def("__repr__", [](const stress::Shmoo& s) {
        return "<seedval.Shmoo " + s.test + ": " + std::to_string(s.passes()) + "/" +
               std::to_string(s.cells.size()) + " pass>";
      });
}

}  // namespace seedval::python
