#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// @file
/// @brief A small RAII layer over the HDF5 C API. This header does not include hdf5.h: the io
/// module is the only one that sees the C API, and its users see only these move-only handles.
///
/// Every failing HDF5 call becomes a core::RunError whose message names the file, the object and
/// HDF5's own reason. HDF5's automatic printing of its error stack is switched off while the layer
/// calls into the library (and restored afterwards), so nothing is printed to stderr.
///
/// Use it from one thread at a time: Debian's serial HDF5 is built without thread safety.

namespace microheal::io::h5 {

/// @brief An HDF5 identifier (hid_t, which is int64_t since HDF5 1.10; checked in hdf5.cpp).
using Id = std::int64_t;

/// @brief Element types that the typed helpers read and write. Files store them little-endian.
enum class ElementType { float32, float64, int64, uint64 };

/// @brief C++ types that map onto an ElementType.
template <class T>
concept Element = std::same_as<T, float> || std::same_as<T, double> ||
    std::same_as<T, std::int64_t> || std::same_as<T, std::uint64_t>;

/// @brief The ElementType of @p T.
template <Element T>
constexpr ElementType element_type_of() {
  if constexpr (std::same_as<T, float>) {
    return ElementType::float32;
  } else if constexpr (std::same_as<T, double>) {
    return ElementType::float64;
  } else if constexpr (std::same_as<T, std::int64_t>) {
    return ElementType::int64;
  } else {
    return ElementType::uint64;
  }
}

/// @brief Name of an element type for messages ("float64", ...).
std::string_view element_type_name(ElementType type);

/// @brief How a fixed-length string is padded (HDF5's H5T_str_t).
enum class StringPad { null_terminated, null_padded, space_padded };

/// @brief Coarse class of a datatype.
enum class TypeClass { integer, floating, string, other };

/// @brief Access mode for File::open.
enum class Access { read_only, read_write };

/// @brief Storage of a new dataset.
struct DatasetOptions {
  /// 0: contiguous, uncompressed. 1..9: chunked, shuffled and gzip-compressed at that level.
  int gzip_level = 0;
  /// Chunk shape when compressing (same rank as the dataset, each in 1..dim). Empty: one plane
  /// of the two fastest axes (e.g. [1, ny, nx] for a [nz, ny, nx] dataset), or up to 65536
  /// elements for a 1D dataset.
  std::vector<std::uint64_t> chunk_dims{};
};

/// @brief Base of all handles: owns one HDF5 identifier and closes it in the destructor.
/// Move-only. Also carries "file:/object" for error messages.
class Handle {
 public:
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  ~Handle();

  /// @brief The raw identifier (only meaningful inside the io module).
  Id id() const { return _id; }
  /// @brief "path/to/file.h5:/group/object", used in error messages.
  const std::string& where() const { return _where; }

 protected:
  enum class Kind { file, group, dataset, dataspace, datatype, attribute, property_list };
  /// @pre @p id is a valid identifier of kind @p kind, now owned by this handle
  Handle(Id id, Kind kind, std::string where) : _id(id), _kind(kind), _where(std::move(where)) {}
  /// @brief Close now and report failure as core::RunError (the destructor cannot throw).
  void close_checked();

 private:
  void release() noexcept;
  int close_id(Id id) const noexcept;

  Id _id = -1;
  Kind _kind = Kind::file;
  std::string _where;
};

/// @brief Shape of a dataset or attribute.
class Dataspace : public Handle {
 public:
  /// @brief A single element.
  static Dataspace scalar();
  /// @brief A fixed-size array of shape @p dims (slowest first). Empty dims: scalar.
  static Dataspace simple(std::span<const std::uint64_t> dims);
  /// @brief Takes ownership of @p id.
  Dataspace(Id id, std::string where) : Handle(id, Kind::dataspace, std::move(where)) {}

  bool is_scalar() const;
  /// @brief Shape, slowest axis first; empty for a scalar.
  std::vector<std::uint64_t> dims() const;
  /// @brief Number of elements (1 for a scalar).
  std::uint64_t num_elements() const;
};

/// @brief An HDF5 datatype (always a private copy, so closing it is always right).
class Datatype : public Handle {
 public:
  /// @brief The little-endian file type of @p type.
  static Datatype of(ElementType type);
  /// @brief A fixed-length string of exactly @p size bytes (no terminator counted).
  /// @pre size >= 1
  static Datatype fixed_string(std::size_t size, StringPad pad, bool ascii = true);
  /// @brief Takes ownership of @p id.
  Datatype(Id id, std::string where) : Handle(id, Kind::datatype, std::move(where)) {}

  TypeClass type_class() const;
  /// @brief Size of one element in bytes (for a fixed string: its length).
  std::size_t size_bytes() const;
  /// @brief For integers: signed?
  bool is_signed() const;
  /// @brief For strings: variable length?
  bool is_variable_string() const;
  /// @brief For strings: ASCII character set (otherwise UTF-8)?
  bool is_ascii() const;
  /// @brief For fixed-length strings: the padding.
  StringPad string_pad() const;
  /// @brief The ElementType this type is, if any (class, size and sign match).
  std::optional<ElementType> element_type() const;
};

/// @brief An attribute of a group, dataset or file.
class Attribute : public Handle {
 public:
  /// @brief Takes ownership of @p id.
  Attribute(Id id, std::string where) : Handle(id, Kind::attribute, std::move(where)) {}
  Datatype type() const;
  Dataspace space() const;
  /// @brief All elements, converted to @p T by HDF5. Throws RunError for a string attribute.
  template <Element T>
  std::vector<T> read() const;
  /// @brief The value of a scalar string attribute (fixed or variable length), without padding.
  std::string read_string() const;
};

/// @brief Anything that carries attributes: files, groups, datasets.
class Node : public Handle {
 public:
  bool has_attribute(std::string_view name) const;
  Attribute open_attribute(std::string_view name) const;
  /// @brief Names of all attributes, in name order.
  std::vector<std::string> attribute_names() const;
  /// @brief Create (or replace) a 1D attribute holding @p values.
  template <Element T>
  void write_attribute(std::string_view name, std::span<const T> values) const;
  /// @brief Create (or replace) a scalar attribute.
  template <Element T>
  void write_scalar_attribute(std::string_view name, T value) const;
  /// @brief Create (or replace) a scalar fixed-length string attribute of exactly value.size()
  /// bytes, NULLPAD, ASCII when @p value is ASCII (UTF-8 otherwise). This is the form that
  /// ParaView 5.11 requires for the VTKHDF "Type" attribute. An empty value is stored as one NUL.
  void write_string_attribute(std::string_view name, std::string_view value) const;
  template <Element T>
  std::vector<T> read_attribute(std::string_view name) const {
    return open_attribute(name).read<T>();
  }
  std::string read_string_attribute(std::string_view name) const {
    return open_attribute(name).read_string();
  }

 protected:
  using Handle::Handle;
};

/// @brief A dataset: a typed, shaped array in a file.
class Dataset : public Node {
 public:
  /// @brief Takes ownership of @p id.
  Dataset(Id id, std::string where) : Node(id, Kind::dataset, std::move(where)) {}
  Dataspace space() const;
  Datatype type() const;
  /// @brief Shape, slowest axis first (empty for a scalar dataset).
  std::vector<std::uint64_t> dims() const { return space().dims(); }
  /// @brief Chunk shape, or empty for contiguous storage.
  std::vector<std::uint64_t> chunk_dims() const;
  /// @brief True when the gzip (deflate) filter is applied.
  bool is_gzip_compressed() const;

  /// @brief Write all elements; HDF5 converts from @p T to the stored type.
  /// @pre data.size() == number of elements (throws core::RunError otherwise)
  template <Element T>
  void write(std::span<const T> data) const;
  /// @brief Read all elements converted to @p T.
  template <Element T>
  std::vector<T> read() const;
  /// @brief Read all elements converted to @p T into @p out.
  /// @pre out.size() == number of elements (throws core::RunError otherwise)
  template <Element T>
  void read_into(std::span<T> out) const;
};

/// @brief A group (and, through File, the root group of a file).
class Group : public Node {
 public:
  /// @brief Takes ownership of @p id.
  Group(Id id, std::string where) : Node(id, Kind::group, std::move(where)) {}

  /// @brief Create a child group.
  /// @param[in] track_order remember creation order so that child_names() returns it (changes
  ///            the group's storage format; leave off for groups that other readers parse)
  Group create_group(std::string_view name, bool track_order = false) const;
  /// @brief Open a group by a name or a relative path ("VTKHDF/PointData").
  Group open_group(std::string_view path) const;
  /// @brief True when a direct child link @p name exists.
  bool has_child(std::string_view name) const;
  /// @brief Names of the direct children, in creation order when the group tracks it, else in
  /// name order.
  std::vector<std::string> child_names() const;

  /// @brief Create a dataset of element type @p type and shape @p dims (empty: scalar).
  Dataset create_dataset(std::string_view name, ElementType type,
                         std::span<const std::uint64_t> dims,
                         const DatasetOptions& options = {}) const;
  /// @brief Open a dataset by a name or a relative path.
  Dataset open_dataset(std::string_view path) const;
  /// @brief Create a dataset of type @p T and shape @p dims (empty: scalar) and write @p data.
  template <Element T>
  Dataset write_dataset(std::string_view name, std::span<const T> data,
                        std::span<const std::uint64_t> dims,
                        const DatasetOptions& options = {}) const {
    Dataset dataset = create_dataset(name, element_type_of<T>(), dims, options);
    dataset.write(data);
    return dataset;
  }
  /// @brief Create a 1D dataset holding @p data.
  template <Element T>
  Dataset write_dataset(std::string_view name, std::span<const T> data) const {
    const std::uint64_t size = data.size();
    return write_dataset(name, data, std::span<const std::uint64_t>(&size, 1));
  }
  template <Element T>
  std::vector<T> read_dataset(std::string_view path) const {
    return open_dataset(path).read<T>();
  }

 protected:
  Group(Id id, Kind kind, std::string where) : Node(id, kind, std::move(where)) {}
};

/// @brief An open HDF5 file; also its root group.
class File : public Group {
 public:
  /// @brief Create @p path, replacing any existing file.
  static File create(const std::filesystem::path& path);
  /// @brief Open an existing file.
  static File open(const std::filesystem::path& path, Access access = Access::read_only);
  /// @brief Create a file in memory only (HDF5's core driver without backing store); @p name
  /// appears in messages. Its bytes come out with close_to_image(), so that the caller writes them
  /// to disk itself: a write error (a full disk) is then a plain, reported write error, where
  /// HDF5 failing to flush a file at close leaves it half-open and crashes at process exit.
  /// @p userblock_bytes (0, or a power of two >= 512) reserves that many bytes at the start of the
  /// file that HDF5 leaves alone (its user block), for a header of the caller's.
  static File create_in_memory(const std::filesystem::path& name,
                               std::uint64_t userblock_bytes = 0);
  /// @brief Open the file whose complete bytes are @p image, read-only, in memory: HDF5 reads
  /// exactly these bytes (a caller that verified them first knows what it parses); @p name
  /// appears in messages. HDF5 copies the image.
  static File open_image(const std::filesystem::path& name, std::span<const std::byte> image);

  /// @brief Flush and close now, reporting failure as core::RunError. Call this before relying
  /// on the file's contents (e.g. before renaming it into place).
  /// @pre every group, dataset and attribute opened from this file has been closed (throws
  /// core::RunError otherwise, because HDF5 would keep the file open behind our back)
  void close();
  /// @brief The file's bytes (a complete HDF5 file), then close it; for files made with
  /// create_in_memory(). Same precondition and errors as close().
  std::vector<std::byte> close_to_image();
  const std::filesystem::path& path() const { return _path; }

 private:
  File(Id id, std::filesystem::path path);
  std::filesystem::path _path;
};

/// @brief Write the HDF5 file @p path atomically: @p fill builds it in memory
/// (File::create_in_memory), then its bytes replace @p path as io::write_file_atomically does (a
/// temporary, fsync, rename). A failing write (a full disk, a file size limit) is a
/// core::RunError naming @p path with the system's reason, and leaves @p path as it was.
/// @pre @p fill closes every object it opens (the file itself is closed here)
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(File&)>& fill);

}  // namespace microheal::io::h5
