// trend_engine.bloom: pybloom-live's BloomFilter and ScalableBloomFilter (4.0.0) with its Python
// API (add, in, len, copy, union/|, intersection/&, tofile/fromfile, pickling) on the C++
// filters of src/bloom/pybloom_format, bit for bit the same filters and files. Keys are
// hashed as pybloom-live hashes them: str as UTF-8, bytes as they are, anything else as
// str(key) in UTF-8.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bloom/bloom_error.hpp"
#include "bloom/pybloom_format.hpp"

namespace py = pybind11;

namespace trend {
namespace {

using bloom::PybloomFilter;
using bloom::PybloomScalableFilter;

// The bytes pybloom-live hashes for `key`: str as UTF-8, bytes as they are, anything else as
// str(key), which `owned` then keeps alive. False with a Python error set.
bool KeyBytes(PyObject* key, std::string_view& bytes, py::object& owned) {
  if (PyBytes_Check(key)) {
    bytes = {PyBytes_AS_STRING(key), static_cast<std::size_t>(PyBytes_GET_SIZE(key))};
    return true;
  }
  if (!PyUnicode_Check(key)) {
    owned = py::reinterpret_steal<py::object>(PyObject_Str(key));
    if (!owned) return false;
    key = owned.ptr();
  }
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(key, &size);
  if (data == nullptr) return false;
  bytes = {data, static_cast<std::size_t>(size)};
  return true;
}

std::string_view KeyBytes(const py::handle& key, py::object& owned) {
  std::string_view bytes;
  if (!KeyBytes(key.ptr(), bytes, owned)) throw py::error_already_set();
  return bytes;
}

// The keys of an iterable, as the bytes each hashes; `owned` keeps them alive.
struct KeyBatch {
  explicit KeyBatch(const py::handle& iterable)
      : items(py::reinterpret_steal<py::object>(
            PySequence_Fast(iterable.ptr(), "expected an iterable of keys"))) {
    if (!items) throw py::error_already_set();
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(items.ptr());
    PyObject** item = PySequence_Fast_ITEMS(items.ptr());
    views.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
      py::object converted;
      views.push_back(KeyBytes(item[i], converted));
      if (converted) owned.push_back(std::move(converted));
    }
  }
  py::object items;  // a list or tuple holding every key
  std::vector<py::object> owned;
  std::vector<std::string_view> views;
};

py::list AsList(const std::unique_ptr<bool[]>& found, std::size_t n) {
  py::list out(n);
  for (std::size_t i = 0; i < n; ++i) {
    PyObject* value = found[i] ? Py_True : Py_False;
    Py_INCREF(value);
    PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(i), value);
  }
  return out;
}

// ---- add and `in` without pybind11's dispatch --------------------------------------------
// pybind11 spends about 90 ns on a call, more than the hashing; these two run once per key,
// so they are plain CPython methods and slots on the same classes.

PyObject* capacity_error_type = nullptr;

// self's C++ filter; nullptr with a TypeError set when its __init__ never ran.
template <typename Filter>
Filter* NativeFilter(PyObject* self) {
  auto holder = reinterpret_cast<py::detail::instance*>(self)->get_value_and_holder();
  if (!holder.holder_constructed()) {
    PyErr_SetString(PyExc_TypeError, "the filter's __init__ was not called");
    return nullptr;
  }
  return holder.template value_ptr<Filter>();
}

// Runs body, turning a C++ exception into the Python one the pybind11 methods raise.
template <typename Body>
auto Guarded(Body&& body, decltype(body()) failed) -> decltype(body()) {
  try {
    return body();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (const bloom::CapacityError& e) {
    PyErr_SetString(capacity_error_type, e.what());
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return failed;
}

// BloomFilter.add(key, skip_check=False)
PyObject* FixedAdd(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* key = nargs > 0 ? args[0] : nullptr;
  PyObject* skip_check = nargs > 1 ? args[1] : nullptr;
  const Py_ssize_t keywords = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t i = 0; i < keywords; ++i) {
    const char* name = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, i));
    PyObject*& slot = std::string_view(name == nullptr ? "" : name) == "key" ? key : skip_check;
    if (name == nullptr ||
        (std::string_view(name) != "key" && std::string_view(name) != "skip_check") ||
        slot != nullptr) {
      PyErr_Format(PyExc_TypeError, "add() got an unexpected or repeated argument %R",
                   PyTuple_GET_ITEM(kwnames, i));
      return nullptr;
    }
    slot = args[nargs + i];
  }
  if (key == nullptr || nargs > 2) {
    PyErr_SetString(PyExc_TypeError, "add() takes a key and, optionally, skip_check");
    return nullptr;
  }
  auto* filter = NativeFilter<PybloomFilter>(self);
  if (filter == nullptr) return nullptr;
  const int skip = skip_check == nullptr ? 0 : PyObject_IsTrue(skip_check);
  if (skip < 0) return nullptr;
  std::string_view bytes;
  py::object owned;
  if (!KeyBytes(key, bytes, owned)) return nullptr;
  return Guarded(
      [&]() -> PyObject* {
        if (skip != 0) {
          filter->AddUnchecked(bytes);
          Py_RETURN_FALSE;
        }
        return PyBool_FromLong(filter->Add(bytes));
      },
      nullptr);
}

// ScalableBloomFilter.add(key)
PyObject* ScalableAdd(PyObject* self, PyObject* key) {
  auto* filter = NativeFilter<PybloomScalableFilter>(self);
  if (filter == nullptr) return nullptr;
  std::string_view bytes;
  py::object owned;
  if (!KeyBytes(key, bytes, owned)) return nullptr;
  return Guarded([&]() -> PyObject* { return PyBool_FromLong(filter->Add(bytes)); }, nullptr);
}

// key in filter
template <typename Filter>
int FilterContains(PyObject* self, PyObject* key) {
  auto* filter = NativeFilter<Filter>(self);
  if (filter == nullptr) return -1;
  std::string_view bytes;
  py::object owned;
  if (!KeyBytes(key, bytes, owned)) return -1;
  return Guarded([&] { return filter->Contains(bytes) ? 1 : 0; }, -1);
}

PyMethodDef fixed_add_method = {
    "add", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&FixedAdd)),
    METH_FASTCALL | METH_KEYWORDS,
    "add(key, skip_check=False): adds key; True when it was (probably) there already. "
    "IndexError at capacity."};
PyMethodDef scalable_add_method = {
    "add", &ScalableAdd, METH_O, "add(key): adds key; True when it was (probably) there already."};

// Installs `add` and the `in` slot on a pybind11 class.
template <typename Filter>
void InstallFastPaths(const py::handle& cls, PyMethodDef* add) {
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  const py::object method = py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, add));
  if (!method || PyObject_SetAttrString(cls.ptr(), "add", method.ptr()) != 0) {
    throw py::error_already_set();
  }
  type->tp_as_sequence->sq_contains = &FilterContains<Filter>;
  PyType_Modified(type);
}

// A file object's remaining bytes (n > 0: at most n).
std::string ReadFrom(const py::object& f, long long n) {
  const py::object chunk = n > 0 ? f.attr("read")(n) : f.attr("read")();
  return chunk.cast<std::string>();
}

}  // namespace

void BindBloom(py::module_& parent) {
  py::module_ m = parent.def_submodule("bloom", "pybloom-live's filters and files, natively");
  capacity_error_type =
      py::register_exception<bloom::CapacityError>(m, "CapacityError", PyExc_IndexError).ptr();
  py::register_exception<bloom::ShapeError>(m, "ShapeError", PyExc_ValueError);
  py::register_exception<bloom::FilterFileError>(m, "FilterFileError", PyExc_ValueError);

  py::class_<PybloomFilter> fixed(m, "BloomFilter");
  fixed.def(py::init<std::uint64_t, double>(), py::arg("capacity"), py::arg("error_rate") = 0.001)
      .def("__contains__",  // for explicit calls; `in` goes through the slot
           [](const PybloomFilter& self, const py::handle& key) {
             py::object owned;
             return self.Contains(KeyBytes(key, owned));
           })
      .def(
          "update",
          [](PybloomFilter& self, const py::handle& keys) {
            const KeyBatch batch(keys);
            self.AddMany(batch.views);
          },
          py::arg("keys"),
          "Adds every key of an iterable, as a loop of add does, with the hashing on every "
          "core. IndexError at capacity, with the keys before it added.")
      .def(
          "contains_many",
          [](const PybloomFilter& self, const py::handle& keys) {
            const KeyBatch batch(keys);
            const std::unique_ptr<bool[]> found(new bool[batch.views.size()]);
            self.ContainsMany(batch.views, found.get());
            return AsList(found, batch.views.size());
          },
          py::arg("keys"), "[key in filter for key in keys], with the hashing on every core.")
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

  InstallFastPaths<PybloomFilter>(fixed, &fixed_add_method);

  py::class_<PybloomScalableFilter> scalable(m, "ScalableBloomFilter");
  scalable
      .def(py::init<std::uint64_t, double, std::int32_t>(), py::arg("initial_capacity") = 100,
           py::arg("error_rate") = 0.001, py::arg("mode") = PybloomScalableFilter::kLargeSetGrowth)
      .def_readonly_static("SMALL_SET_GROWTH", &PybloomScalableFilter::kSmallSetGrowth)
      .def_readonly_static("LARGE_SET_GROWTH", &PybloomScalableFilter::kLargeSetGrowth)
      .def("__contains__",
           [](const PybloomScalableFilter& self, const py::handle& key) {
             py::object owned;
             return self.Contains(KeyBytes(key, owned));
           })
      .def(
          "update",
          [](PybloomScalableFilter& self, const py::handle& keys) {
            const KeyBatch batch(keys);
            for (const std::string_view key : batch.views) self.Add(key);
          },
          py::arg("keys"), "Adds every key of an iterable, as a loop of add does.")
      .def(
          "contains_many",
          [](const PybloomScalableFilter& self, const py::handle& keys) {
            const KeyBatch batch(keys);
            const std::unique_ptr<bool[]> found(new bool[batch.views.size()]);
            for (std::size_t i = 0; i < batch.views.size(); ++i) {
              found[i] = self.Contains(batch.views[i]);
            }
            return AsList(found, batch.views.size());
          },
          py::arg("keys"), "[key in filter for key in keys].")
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
  InstallFastPaths<PybloomScalableFilter>(scalable, &scalable_add_method);
  m.attr("SMALL_SET_GROWTH") = PybloomScalableFilter::kSmallSetGrowth;
  m.attr("LARGE_SET_GROWTH") = PybloomScalableFilter::kLargeSetGrowth;
}

}  // namespace trend
