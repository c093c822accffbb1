#include "microheal/io/hdf5.hpp"

#include <hdf5.h>

#include <algorithm>
#include <numeric>
#include <type_traits>
#include <utility>

#include "microheal/core/error.hpp"
#include "microheal/io/atomic_file.hpp"

namespace microheal::io::h5 {

static_assert(std::is_same_v<hid_t, Id>, "the header's Id must be hid_t (HDF5 >= 1.10)");
static_assert(std::is_same_v<herr_t, int>);

namespace {

// Switches HDF5's automatic error printing off for the lifetime of the guard and restores what
// was there before, so the layer changes no process-wide state: failures reach the caller as
// exceptions with HDF5's reason in the message instead of a stack dump on stderr.
class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &_old_func, &_old_data);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, _old_func, _old_data); }

 private:
  H5E_auto2_t _old_func = nullptr;
  void* _old_data = nullptr;
};

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* error, void* data) {
  auto& messages = *static_cast<std::vector<std::string>*>(data);
  if (error->desc != nullptr && *error->desc != '\0') {
    messages.emplace_back(error->desc);
  }
  return 0;
}

// HDF5's reason for the last failure: the outermost description (what the API call could not do)
// and the innermost one (the root cause, e.g. "unable to open file: ... errno = 2 ...").
std::string hdf5_reason() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &messages);
  if (messages.empty()) {
    return "no details from HDF5";
  }
  if (messages.size() == 1 || messages.front() == messages.back()) {
    return messages.front();
  }
  return messages.front() + ": " + messages.back();
}

[[noreturn]] void fail(std::string_view what, std::string_view where) {
  throw core::RunError("HDF5: " + std::string(what) + " '" + std::string(where) +
                       "': " + hdf5_reason());
}

// Returns @p result, or throws RunError when HDF5 signalled failure (a negative value).
template <class R>
R check(R result, std::string_view what, std::string_view where) {
  if (result < 0) {
    fail(what, where);
  }
  return result;
}

std::string join(std::string_view where, std::string_view name) {
  std::string out(where);
  if (out.empty() || out.back() != '/') {
    out += '/';
  }
  out += name;
  return out;
}

hid_t native_type(ElementType type) {
  switch (type) {
    case ElementType::float32:
      return H5T_NATIVE_FLOAT;
    case ElementType::float64:
      return H5T_NATIVE_DOUBLE;
    case ElementType::int64:
      return H5T_NATIVE_INT64;
    case ElementType::uint64:
      return H5T_NATIVE_UINT64;
  }
  return H5T_NATIVE_DOUBLE;
}

// Files store little-endian standard types so that they read the same on any machine.
hid_t file_type(ElementType type) {
  switch (type) {
    case ElementType::float32:
      return H5T_IEEE_F32LE;
    case ElementType::float64:
      return H5T_IEEE_F64LE;
    case ElementType::int64:
      return H5T_STD_I64LE;
    case ElementType::uint64:
      return H5T_STD_U64LE;
  }
  return H5T_IEEE_F64LE;
}

// A property list, used only inside this file.
class PropertyList : public Handle {
 public:
  PropertyList(hid_t id, std::string where) : Handle(id, Kind::property_list, std::move(where)) {}
};

void check_size(std::size_t got, std::uint64_t expected, std::string_view what,
                std::string_view where) {
  if (got != expected) {
    throw core::RunError("HDF5: cannot " + std::string(what) + " '" + std::string(where) +
                         "': buffer has " + std::to_string(got) + " elements, the dataspace " +
                         std::to_string(expected));
  }
}

}  // namespace

std::string_view element_type_name(ElementType type) {
  switch (type) {
    case ElementType::float32:
      return "float32";
    case ElementType::float64:
      return "float64";
    case ElementType::int64:
      return "int64";
    case ElementType::uint64:
      return "uint64";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------------------------
// Handle

Handle::Handle(Handle&& other) noexcept
    : _id(std::exchange(other._id, -1)), _kind(other._kind), _where(std::move(other._where)) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    release();
    _id = std::exchange(other._id, -1);
    _kind = other._kind;
    _where = std::move(other._where);
  }
  return *this;
}

Handle::~Handle() {
  release();
}

int Handle::close_id(Id id) const noexcept {
  switch (_kind) {
    case Kind::file:
      return H5Fclose(id);
    case Kind::group:
      return H5Gclose(id);
    case Kind::dataset:
      return H5Dclose(id);
    case Kind::dataspace:
      return H5Sclose(id);
    case Kind::datatype:
      return H5Tclose(id);
    case Kind::attribute:
      return H5Aclose(id);
    case Kind::property_list:
      return H5Pclose(id);
  }
  return -1;
}

void Handle::release() noexcept {
  if (_id >= 0) {
    const QuietErrors quiet;
    // A destructor cannot report; File::close() is the checked path for the one close that
    // matters (the file's data reaching the disk).
    close_id(_id);
    _id = -1;
  }
}

void Handle::close_checked() {
  if (_id >= 0) {
    const QuietErrors quiet;
    const hid_t id = std::exchange(_id, -1);
    check(close_id(id), "cannot close", _where);
  }
}

// ---------------------------------------------------------------------------------------------
// Dataspace

Dataspace Dataspace::scalar() {
  const QuietErrors quiet;
  return {check(H5Screate(H5S_SCALAR), "cannot create scalar dataspace", ""), "(dataspace)"};
}

Dataspace Dataspace::simple(std::span<const std::uint64_t> dims) {
  if (dims.empty()) {
    return scalar();
  }
  const QuietErrors quiet;
  const std::vector<hsize_t> h(dims.begin(), dims.end());
  return {check(H5Screate_simple(static_cast<int>(h.size()), h.data(), nullptr),
                "cannot create dataspace", "(dataspace)"),
          "(dataspace)"};
}

bool Dataspace::is_scalar() const {
  const QuietErrors quiet;
  return check(H5Sget_simple_extent_type(id()), "cannot query dataspace of", where()) == H5S_SCALAR;
}

std::vector<std::uint64_t> Dataspace::dims() const {
  const QuietErrors quiet;
  const int rank = check(H5Sget_simple_extent_ndims(id()), "cannot query rank of", where());
  std::vector<hsize_t> h(static_cast<std::size_t>(rank));
  if (rank > 0) {
    check(H5Sget_simple_extent_dims(id(), h.data(), nullptr), "cannot query shape of", where());
  }
  return {h.begin(), h.end()};
}

std::uint64_t Dataspace::num_elements() const {
  const QuietErrors quiet;
  return static_cast<std::uint64_t>(
      check(H5Sget_simple_extent_npoints(id()), "cannot query size of", where()));
}

// ---------------------------------------------------------------------------------------------
// Datatype

Datatype Datatype::of(ElementType type) {
  const QuietErrors quiet;
  return {check(H5Tcopy(file_type(type)), "cannot copy datatype", element_type_name(type)),
          std::string(element_type_name(type))};
}

Datatype Datatype::fixed_string(std::size_t size, StringPad pad, bool ascii) {
  const QuietErrors quiet;
  Datatype type(check(H5Tcopy(H5T_C_S1), "cannot copy datatype", "string"), "(string type)");
  check(H5Tset_size(type.id(), std::max<std::size_t>(size, 1)), "cannot set size of", type.where());
  const H5T_str_t h5pad = pad == StringPad::null_padded    ? H5T_STR_NULLPAD
                          : pad == StringPad::space_padded ? H5T_STR_SPACEPAD
                                                           : H5T_STR_NULLTERM;
  check(H5Tset_strpad(type.id(), h5pad), "cannot set padding of", type.where());
  check(H5Tset_cset(type.id(), ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8),
        "cannot set character set of", type.where());
  return type;
}

TypeClass Datatype::type_class() const {
  const QuietErrors quiet;
  switch (H5Tget_class(id())) {
    case H5T_INTEGER:
      return TypeClass::integer;
    case H5T_FLOAT:
      return TypeClass::floating;
    case H5T_STRING:
      return TypeClass::string;
    case H5T_NO_CLASS:
      fail("cannot query class of datatype of", where());
    default:
      return TypeClass::other;
  }
}

std::size_t Datatype::size_bytes() const {
  const QuietErrors quiet;
  const std::size_t size = H5Tget_size(id());
  if (size == 0) {
    fail("cannot query size of datatype of", where());
  }
  return size;
}

bool Datatype::is_signed() const {
  const QuietErrors quiet;
  return check(H5Tget_sign(id()), "cannot query sign of datatype of", where()) == H5T_SGN_2;
}

bool Datatype::is_variable_string() const {
  const QuietErrors quiet;
  return check(H5Tis_variable_str(id()), "cannot query string type of", where()) > 0;
}

bool Datatype::is_ascii() const {
  const QuietErrors quiet;
  return check(H5Tget_cset(id()), "cannot query character set of", where()) == H5T_CSET_ASCII;
}

StringPad Datatype::string_pad() const {
  const QuietErrors quiet;
  switch (check(H5Tget_strpad(id()), "cannot query string padding of", where())) {
    case H5T_STR_NULLPAD:
      return StringPad::null_padded;
    case H5T_STR_SPACEPAD:
      return StringPad::space_padded;
    default:
      return StringPad::null_terminated;
  }
}

std::optional<ElementType> Datatype::element_type() const {
  const TypeClass cls = type_class();
  const std::size_t size = size_bytes();
  if (cls == TypeClass::floating && size == 8) {
    return ElementType::float64;
  }
  if (cls == TypeClass::floating && size == 4) {
    return ElementType::float32;
  }
  if (cls == TypeClass::integer && size == 8) {
    return is_signed() ? ElementType::int64 : ElementType::uint64;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Attribute

Datatype Attribute::type() const {
  const QuietErrors quiet;
  return {check(H5Aget_type(id()), "cannot get type of attribute", where()), where()};
}

Dataspace Attribute::space() const {
  const QuietErrors quiet;
  return {check(H5Aget_space(id()), "cannot get dataspace of attribute", where()), where()};
}

template <Element T>
std::vector<T> Attribute::read() const {
  if (type().type_class() == TypeClass::string) {
    throw core::RunError("HDF5: attribute '" + where() + "' is a string, not " +
                         std::string(element_type_name(element_type_of<T>())));
  }
  std::vector<T> out(space().num_elements());
  const QuietErrors quiet;
  if (!out.empty()) {
    check(H5Aread(id(), native_type(element_type_of<T>()), out.data()), "cannot read attribute",
          where());
  }
  return out;
}

std::string Attribute::read_string() const {
  const Datatype ftype = type();
  if (ftype.type_class() != TypeClass::string) {
    throw core::RunError("HDF5: attribute '" + where() + "' is not a string");
  }
  if (space().num_elements() != 1) {
    throw core::RunError("HDF5: attribute '" + where() + "' is not a single string");
  }
  const QuietErrors quiet;
  if (ftype.is_variable_string()) {
    Datatype mem(check(H5Tcopy(H5T_C_S1), "cannot copy datatype", where()), where());
    check(H5Tset_size(mem.id(), H5T_VARIABLE), "cannot set size of", where());
    check(H5Tset_cset(mem.id(), ftype.is_ascii() ? H5T_CSET_ASCII : H5T_CSET_UTF8),
          "cannot set character set of", where());
    char* text = nullptr;
    check(H5Aread(id(), mem.id(), static_cast<void*>(&text)), "cannot read attribute", where());
    std::string out = text != nullptr ? std::string(text) : std::string();
    H5free_memory(text);
    return out;
  }
  std::string out(ftype.size_bytes(), '\0');
  check(H5Aread(id(), ftype.id(), out.data()), "cannot read attribute", where());
  // Drop the padding; a NUL ends the string for every padding kind.
  out.resize(std::min(out.size(), out.find('\0')));
  if (ftype.string_pad() == StringPad::space_padded) {
    out.resize(out.find_last_not_of(' ') + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Node

bool Node::has_attribute(std::string_view name) const {
  const QuietErrors quiet;
  const std::string n(name);
  return check(H5Aexists(id(), n.c_str()), "cannot look up attribute", join(where(), n)) > 0;
}

Attribute Node::open_attribute(std::string_view name) const {
  const QuietErrors quiet;
  const std::string n(name);
  const std::string at = join(where(), n);
  return {check(H5Aopen(id(), n.c_str(), H5P_DEFAULT), "cannot open attribute", at), at};
}

namespace {
herr_t collect_name(hid_t /*loc*/, const char* name, const H5A_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

// Creates attribute @p name on @p loc (deleting an existing one first, so writes replace).
Attribute create_attribute(const Node& node, std::string_view name, const Datatype& type,
                           const Dataspace& space) {
  const std::string n(name);
  const std::string at = join(node.where(), n);
  if (check(H5Aexists(node.id(), n.c_str()), "cannot look up attribute", at) > 0) {
    check(H5Adelete(node.id(), n.c_str()), "cannot replace attribute", at);
  }
  return {check(H5Acreate2(node.id(), n.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                "cannot create attribute", at),
          at};
}
}  // namespace

std::vector<std::string> Node::attribute_names() const {
  const QuietErrors quiet;
  std::vector<std::string> names;
  hsize_t index = 0;
  check(H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names),
        "cannot list attributes of", where());
  return names;
}

template <Element T>
void Node::write_attribute(std::string_view name, std::span<const T> values) const {
  const std::uint64_t size = values.size();
  const Dataspace space = Dataspace::simple(std::span<const std::uint64_t>(&size, 1));
  const Datatype type = Datatype::of(element_type_of<T>());
  const QuietErrors quiet;
  const Attribute attribute = create_attribute(*this, name, type, space);
  if (!values.empty()) {
    check(H5Awrite(attribute.id(), native_type(element_type_of<T>()), values.data()),
          "cannot write attribute", attribute.where());
  }
}

template <Element T>
void Node::write_scalar_attribute(std::string_view name, T value) const {
  const Dataspace space = Dataspace::scalar();
  const Datatype type = Datatype::of(element_type_of<T>());
  const QuietErrors quiet;
  const Attribute attribute = create_attribute(*this, name, type, space);
  check(H5Awrite(attribute.id(), native_type(element_type_of<T>()), &value),
        "cannot write attribute", attribute.where());
}

void Node::write_string_attribute(std::string_view name, std::string_view value) const {
  const bool ascii = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 128; });
  // HDF5 reads exactly size bytes; an empty string still needs one (NUL) byte.
  const std::string buffer = value.empty() ? std::string(1, '\0') : std::string(value);
  const Datatype type = Datatype::fixed_string(buffer.size(), StringPad::null_padded, ascii);
  const Dataspace space = Dataspace::scalar();
  const QuietErrors quiet;
  const Attribute attribute = create_attribute(*this, name, type, space);
  check(H5Awrite(attribute.id(), type.id(), buffer.data()), "cannot write attribute",
        attribute.where());
}

// ---------------------------------------------------------------------------------------------
// Dataset

Dataspace Dataset::space() const {
  const QuietErrors quiet;
  return {check(H5Dget_space(id()), "cannot get dataspace of dataset", where()), where()};
}

Datatype Dataset::type() const {
  const QuietErrors quiet;
  return {check(H5Dget_type(id()), "cannot get type of dataset", where()), where()};
}

std::vector<std::uint64_t> Dataset::chunk_dims() const {
  const QuietErrors quiet;
  const PropertyList dcpl(
      check(H5Dget_create_plist(id()), "cannot get creation properties of", where()), where());
  if (check(H5Pget_layout(dcpl.id()), "cannot get layout of", where()) != H5D_CHUNKED) {
    return {};
  }
  std::vector<hsize_t> chunk(H5S_MAX_RANK);
  const int rank = check(H5Pget_chunk(dcpl.id(), H5S_MAX_RANK, chunk.data()),
                         "cannot get chunk shape of", where());
  chunk.resize(static_cast<std::size_t>(rank));
  return {chunk.begin(), chunk.end()};
}

bool Dataset::is_gzip_compressed() const {
  const QuietErrors quiet;
  const PropertyList dcpl(
      check(H5Dget_create_plist(id()), "cannot get creation properties of", where()), where());
  const int count = check(H5Pget_nfilters(dcpl.id()), "cannot count filters of", where());
  for (int f = 0; f < count; ++f) {
    unsigned flags = 0;
    std::size_t num_values = 0;
    unsigned filter_config = 0;
    const H5Z_filter_t filter = H5Pget_filter2(dcpl.id(), static_cast<unsigned>(f), &flags,
                                               &num_values, nullptr, 0, nullptr, &filter_config);
    if (check(filter, "cannot query filter of", where()) == H5Z_FILTER_DEFLATE) {
      return true;
    }
  }
  return false;
}

template <Element T>
void Dataset::write(std::span<const T> data) const {
  check_size(data.size(), space().num_elements(), "write dataset", where());
  const QuietErrors quiet;
  if (!data.empty()) {
    check(H5Dwrite(id(), native_type(element_type_of<T>()), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                   data.data()),
          "cannot write dataset", where());
  }
}

template <Element T>
void Dataset::read_into(std::span<T> out) const {
  check_size(out.size(), space().num_elements(), "read dataset", where());
  const QuietErrors quiet;
  if (!out.empty()) {
    check(
        H5Dread(id(), native_type(element_type_of<T>()), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
        "cannot read dataset", where());
  }
}

template <Element T>
std::vector<T> Dataset::read() const {
  std::vector<T> out(space().num_elements());
  read_into(std::span<T>(out));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Group

Group Group::create_group(std::string_view name, bool track_order) const {
  const QuietErrors quiet;
  const std::string n(name);
  const std::string at = join(where(), n);
  const PropertyList gcpl(check(H5Pcreate(H5P_GROUP_CREATE), "cannot create group of", at), at);
  if (track_order) {
    check(H5Pset_link_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
          "cannot track creation order of", at);
  }
  return {check(H5Gcreate2(id(), n.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT),
                "cannot create group", at),
          at};
}

Group Group::open_group(std::string_view path) const {
  const QuietErrors quiet;
  const std::string p(path);
  const std::string at = join(where(), p);
  return {check(H5Gopen2(id(), p.c_str(), H5P_DEFAULT), "cannot open group", at), at};
}

bool Group::has_child(std::string_view name) const {
  const QuietErrors quiet;
  const std::string n(name);
  if (n.empty() || n.find('/') != std::string::npos) {
    return false;
  }
  return check(H5Lexists(id(), n.c_str(), H5P_DEFAULT), "cannot look up", join(where(), n)) > 0;
}

namespace {
herr_t collect_link(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> Group::child_names() const {
  const QuietErrors quiet;
  // "." opens this group itself, which works for a file id (its root group) as well.
  const Group self(check(H5Gopen2(id(), ".", H5P_DEFAULT), "cannot open group", where()), where());
  const PropertyList gcpl(
      check(H5Gget_create_plist(self.id()), "cannot get creation properties of", where()), where());
  unsigned order_flags = 0;
  check(H5Pget_link_creation_order(gcpl.id(), &order_flags), "cannot query link order of", where());
  const H5_index_t index =
      (order_flags & H5P_CRT_ORDER_INDEXED) != 0 ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> names;
  hsize_t position = 0;
  check(H5Literate(self.id(), index, H5_ITER_INC, &position, collect_link, &names),
        "cannot list children of", where());
  return names;
}

Dataset Group::create_dataset(std::string_view name, ElementType type,
                              std::span<const std::uint64_t> dims,
                              const DatasetOptions& options) const {
  const std::string n(name);
  const std::string at = join(where(), n);
  if (options.gzip_level < 0 || options.gzip_level > 9) {
    throw core::InputError("HDF5: gzip level for '" + at + "' must be in 0..9, got " +
                           std::to_string(options.gzip_level));
  }
  const Dataspace space = Dataspace::simple(dims);
  const Datatype ftype = Datatype::of(type);
  const QuietErrors quiet;
  const PropertyList dcpl(check(H5Pcreate(H5P_DATASET_CREATE), "cannot create dataset", at), at);
  const bool has_data = std::all_of(dims.begin(), dims.end(), [](auto d) { return d > 0; });
  if (options.gzip_level > 0 && !dims.empty() && has_data) {
    std::vector<hsize_t> chunk(options.chunk_dims.begin(), options.chunk_dims.end());
    if (chunk.empty()) {
      chunk.assign(dims.size(), 1);
      if (dims.size() == 1) {
        chunk[0] = std::min<hsize_t>(dims[0], 65536);
      } else {
        chunk[dims.size() - 1] = dims[dims.size() - 1];
        chunk[dims.size() - 2] = dims[dims.size() - 2];
      }
    }
    bool valid = chunk.size() == dims.size();
    for (std::size_t a = 0; valid && a < chunk.size(); ++a) {
      valid = chunk[a] >= 1 && chunk[a] <= dims[a];
    }
    if (!valid) {
      throw core::InputError("HDF5: chunk shape for '" + at +
                             "' must have the dataset's rank and lie within its shape");
    }
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
      throw core::RunError("HDF5: cannot compress '" + at + "': this HDF5 has no gzip filter");
    }
    check(H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data()),
          "cannot set chunk shape of", at);
    check(H5Pset_shuffle(dcpl.id()), "cannot set shuffle filter on", at);
    check(H5Pset_deflate(dcpl.id(), static_cast<unsigned>(options.gzip_level)),
          "cannot set gzip filter on", at);
  }
  return {check(H5Dcreate2(id(), n.c_str(), ftype.id(), space.id(), H5P_DEFAULT, dcpl.id(),
                           H5P_DEFAULT),
                "cannot create dataset", at),
          at};
}

Dataset Group::open_dataset(std::string_view path) const {
  const QuietErrors quiet;
  const std::string p(path);
  const std::string at = join(where(), p);
  return {check(H5Dopen2(id(), p.c_str(), H5P_DEFAULT), "cannot open dataset", at), at};
}

// ---------------------------------------------------------------------------------------------
// File

File::File(Id id, std::filesystem::path path)
    : Group(id, Kind::file, path.string() + ":/"), _path(std::move(path)) {}

namespace {
// File access properties: keep HDF5 1.10's file locking, but do not fail on file systems that
// have locking disabled (some network mounts), where it would refuse to open anything.
PropertyList file_access(const std::string& where) {
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create access properties for", where),
                    where);
  check(H5Pset_file_locking(fapl.id(), true, true), "cannot set file locking for", where);
  return fapl;
}
}  // namespace

File File::create(const std::filesystem::path& path) {
  const QuietErrors quiet;
  const std::string p = path.string();
  const PropertyList fapl = file_access(p);
  return {
      check(H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()), "cannot create file", p),
      path};
}

File File::open(const std::filesystem::path& path, Access access) {
  const QuietErrors quiet;
  const std::string p = path.string();
  const PropertyList fapl = file_access(p);
  const unsigned flags = access == Access::read_write ? H5F_ACC_RDWR : H5F_ACC_RDONLY;
  return {check(H5Fopen(p.c_str(), flags, fapl.id()), "cannot open file", p), path};
}

File File::create_in_memory(const std::filesystem::path& name, std::uint64_t userblock_bytes) {
  const QuietErrors quiet;
  const std::string p = name.string();
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create access properties for", p), p);
  // Grows in 1 MiB steps; no backing store: nothing touches the disk.
  constexpr std::size_t increment = std::size_t{1} << 20;
  check(H5Pset_fapl_core(fapl.id(), increment, false), "cannot select the in-memory driver for", p);
  PropertyList fcpl(check(H5Pcreate(H5P_FILE_CREATE), "cannot create creation properties for", p),
                    p);
  if (userblock_bytes > 0)
    check(H5Pset_userblock(fcpl.id(), userblock_bytes), "cannot reserve a user block in", p);
  return {check(H5Fcreate(p.c_str(), H5F_ACC_TRUNC, fcpl.id(), fapl.id()), "cannot create file", p),
          name};
}

File File::open_image(const std::filesystem::path& name, std::span<const std::byte> image) {
  const QuietErrors quiet;
  // The core driver refuses to open an image under the name of a file that exists on disk ("file
  // already exists"), so the image gets a name of its own.
  const std::string p = name.string() + " (in memory)";
  PropertyList fapl(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create access properties for", p), p);
  constexpr std::size_t increment = std::size_t{1} << 20;
  check(H5Pset_fapl_core(fapl.id(), increment, false), "cannot select the in-memory driver for", p);
  // Closing the file closes whatever is still open in it: an in-memory file that lingered (HDF5's
  // default weak close) would make the next open of the same name fail with "file already exists".
  check(H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG), "cannot set the close degree for", p);
  // HDF5 copies the image and, the file being read-only, never writes into it.
  check(H5Pset_file_image(fapl.id(), const_cast<std::byte*>(image.data()), image.size()),
        "cannot hand the image to HDF5 for", p);
  return {check(H5Fopen(p.c_str(), H5F_ACC_RDONLY, fapl.id()), "cannot open file", p), name};
}

std::vector<std::byte> File::close_to_image() {
  std::vector<std::byte> image;
  {
    const QuietErrors quiet;
    check(H5Fflush(id(), H5F_SCOPE_LOCAL), "cannot flush", where());
    const ssize_t size =
        check(H5Fget_file_image(id(), nullptr, 0), "cannot size the image of", where());
    image.resize(static_cast<std::size_t>(size));
    check(H5Fget_file_image(id(), image.data(), image.size()), "cannot copy the image of", where());
  }
  close();
  return image;
}

void File::close() {
  if (id() < 0) {
    return;
  }
  {
    const QuietErrors quiet;
    const ssize_t open_objects =
        check(H5Fget_obj_count(id(), H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE |
                                         H5F_OBJ_ATTR | H5F_OBJ_LOCAL),
              "cannot count open objects in", where());
    if (open_objects > 0) {
      // With HDF5's default (weak) close degree the file would stay open until those close, so
      // its data might not be on disk yet when the caller goes on.
      throw core::RunError("HDF5: cannot close file '" + _path.string() + "': " +
                           std::to_string(open_objects) + " object(s) in it are still open");
    }
  }
  close_checked();
}

void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(File&)>& fill) {
  File file = File::create_in_memory(path);
  fill(file);
  const std::vector<std::byte> image = file.close_to_image();
  io::write_file_atomically(path, image);
}

// ---------------------------------------------------------------------------------------------
// Explicit instantiations for the four element types.

template std::vector<float> Attribute::read<float>() const;
template void Node::write_attribute<float>(std::string_view, std::span<const float>) const;
template void Node::write_scalar_attribute<float>(std::string_view, float) const;
template void Dataset::write<float>(std::span<const float>) const;
template std::vector<float> Dataset::read<float>() const;
template void Dataset::read_into<float>(std::span<float>) const;

template std::vector<double> Attribute::read<double>() const;
template void Node::write_attribute<double>(std::string_view, std::span<const double>) const;
template void Node::write_scalar_attribute<double>(std::string_view, double) const;
template void Dataset::write<double>(std::span<const double>) const;
template std::vector<double> Dataset::read<double>() const;
template void Dataset::read_into<double>(std::span<double>) const;

template std::vector<std::int64_t> Attribute::read<std::int64_t>() const;
template void Node::write_attribute<std::int64_t>(std::string_view,
                                                  std::span<const std::int64_t>) const;
template void Node::write_scalar_attribute<std::int64_t>(std::string_view, std::int64_t) const;
template void Dataset::write<std::int64_t>(std::span<const std::int64_t>) const;
template std::vector<std::int64_t> Dataset::read<std::int64_t>() const;
template void Dataset::read_into<std::int64_t>(std::span<std::int64_t>) const;

template std::vector<std::uint64_t> Attribute::read<std::uint64_t>() const;
template void Node::write_attribute<std::uint64_t>(std::string_view,
                                                   std::span<const std::uint64_t>) const;
template void Node::write_scalar_attribute<std::uint64_t>(std::string_view, std::uint64_t) const;
template void Dataset::write<std::uint64_t>(std::span<const std::uint64_t>) const;
template std::vector<std::uint64_t> Dataset::read<std::uint64_t>() const;
template void Dataset::read_into<std::uint64_t>(std::span<std::uint64_t>) const;

}  // namespace microheal::io::h5
