// trend_engine.bloom: pybloom-live's BloomFilter and ScalableBloomFilter (4.0.0) with its Python
// API (add, in, len, copy, union/|, intersection/&, tofile/fromfile, pickling) on the C++
// filters of src/bloom/pybloom_format, bit for bit the same filters and files. Keys are
// hashed as pybloom-live hashes them: str as UTF-8, bytes as they are, anything else as
// str(key) in UTF-8.
#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "bloom/bloom_error.hpp"
#include "bloom/pybloom_format.hpp"

namespace py = pybind11;

namespace trend {
namespace {

using bloom::PybloomFilter;
using bloom::PybloomScalableFilter;

// The bytes pybloom-live hashes for `key`; `scratch` keeps converted text alive.
std::string_view KeyBytes(const py::handle& key, std::string& scratch) {
  if (PyUnicode_Check(key.ptr())) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(key.ptr(), &size);
    if (data == nullptr) throw py::error_already_set();
    return {data, static_cast<std::size_t>(size)};
  }
  if (PyBytes_Check(key.ptr())) {
    return {PyBytes_AS_STRING(key.ptr()), static_cast<std::size_t>(PyBytes_GET_SIZE(key.ptr()))};
  }
  scratch = py::str(key).cast<std::string>();
  return scratch;
}

// A file object's remaining bytes (n > 0: at most n).
std::string ReadFrom(const py::object& f, long long n) {
  const py::object chunk = n > 0 ? f.attr("read")(n) : f.attr("read")();
  return chunk.cast<std::string>();
}

}  // namespace

void BindBloom(py::module_& parent) {
  py::module_ m = parent.def_submodule("bloom", "pybloom-live's filters and files, natively");
  py::register_exception<bloom::CapacityError>(m, "CapacityError", PyExc_IndexError);
  py::register_exception<bloom::ShapeError>(m, "ShapeError", PyExc_ValueError);
  py::register_exception<bloom::FilterFileError>(m, "FilterFileError", PyExc_ValueError);

  py::class_<PybloomFilter>(m, "BloomFilter")
      .def(py::init<std::uint64_t, double>(), py::arg("capacity"), py::arg("error_rate") = 0.001)
      .def(
          "add",
          [](PybloomFilter& self, const py::handle& key, bool skip_check) {
            std::string scratch;
            const std::string_view bytes = KeyBytes(key, scratch);
            if (skip_check) {
              self.AddUnchecked(bytes);
              return false;
            }
            return self.Add(bytes);
          },
          py::arg("key"), py::arg("skip_check") = false,
          "Adds key; True when it was (probably) there already. IndexError at capacity.")
      .def("__contains__",
           [](const PybloomFilter& self, const py::handle& key) {
             std::string scratch;
             return self.Contains(KeyBytes(key, scratch));
           })
      .def("__len__", [](const PybloomFilter& self) { return self.Count(); })
      .def_property_readonly("count", &PybloomFilter::Count)
      .def_property_readonly("capacity", &PybloomFilter::capacity)
      .def_property_readonly("error_rate", &PybloomFilter::error_rate)
      .def_property_readonly("num_slices", &PybloomFilter::num_slices)
      .def_property_readonly("bits_per_slice", &PybloomFilter::bits_per_slice)
      .def_property_readonly(
          "num_bits", [](const PybloomFilter& f) { return f.num_slices() * f.bits_per_slice(); })
      .def("copy", &PybloomFilter::Copy)
      .def("union", &PybloomFilter::Union)
      .def("__or__", &PybloomFilter::Union)
      .def("intersection", &PybloomFilter::Intersection)
      .def("__and__", &PybloomFilter::Intersection)
      .def("tofile", [](const PybloomFilter& self,
                        const py::object& f) { f.attr("write")(py::bytes(self.Serialize())); })
      .def_static(
          "fromfile",
          [](const py::object& f, long long n) {
            if (n > 0 && n < static_cast<long long>(PybloomFilter::kHeaderBytes))
              throw py::value_error("n too small!");
            const std::string bytes = ReadFrom(f, n);
            return PybloomFilter::Parse(bytes, 0, bytes.size(), "file");
          },
          py::arg("f"), py::arg("n") = -1)
      .def(py::pickle([](const PybloomFilter& self) { return py::bytes(self.Serialize()); },
                      [](const py::bytes& state) {
                        const std::string bytes = state;
                        return PybloomFilter::Parse(bytes, 0, bytes.size(), "pickle");
                      }));

  py::class_<PybloomScalableFilter>(m, "ScalableBloomFilter")
      .def(py::init<std::uint64_t, double, std::int32_t>(), py::arg("initial_capacity") = 100,
           py::arg("error_rate") = 0.001, py::arg("mode") = PybloomScalableFilter::kLargeSetGrowth)
      .def_readonly_static("SMALL_SET_GROWTH", &PybloomScalableFilter::kSmallSetGrowth)
      .def_readonly_static("LARGE_SET_GROWTH", &PybloomScalableFilter::kLargeSetGrowth)
      .def("add",
           [](PybloomScalableFilter& self, const py::handle& key) {
             std::string scratch;
             return self.Add(KeyBytes(key, scratch));
           })
      .def("__contains__",
           [](const PybloomScalableFilter& self, const py::handle& key) {
             std::string scratch;
             return self.Contains(KeyBytes(key, scratch));
           })
      .def("__len__", [](const PybloomScalableFilter& self) { return self.Count(); })
      .def_property_readonly("count", &PybloomScalableFilter::Count)
      .def_property_readonly("capacity", &PybloomScalableFilter::Capacity)
      .def_property_readonly("filters",
                             [](const PybloomScalableFilter& self) {
                               py::list out;
                               for (const auto& f : self.filters()) out.append(py::cast(f));
                               return out;
                             })
      .def("union", &PybloomScalableFilter::Union)
      .def("__or__", &PybloomScalableFilter::Union)
      .def("copy", [](const PybloomScalableFilter& self) { return self; })
      .def("tofile", [](const PybloomScalableFilter& self,
                        const py::object& f) { f.attr("write")(py::bytes(self.Serialize())); })
      .def_static(
          "fromfile",
          [](const py::object& f) { return PybloomScalableFilter::Parse(ReadFrom(f, -1), "file"); })
      .def(py::pickle([](const PybloomScalableFilter& self) { return py::bytes(self.Serialize()); },
                      [](const py::bytes& state) {
                        return PybloomScalableFilter::Parse(std::string(state), "pickle");
                      }));
  m.attr("SMALL_SET_GROWTH") = PybloomScalableFilter::kSmallSetGrowth;
  m.attr("LARGE_SET_GROWTH") = PybloomScalableFilter::kLargeSetGrowth;
}

}  // namespace trend
