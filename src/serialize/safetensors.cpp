#include "serialize/safetensors.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "tensorgrad/error.h"

namespace tg::serialize {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupported = "F32, F64, I64 and BOOL";

const char* dtype_name(ScalarType t) {
  switch (t) {
    case kFloat:
      return "F32";
    case kDouble:
      return "F64";
    case kLong:
      return "I64";
    case kBool:
      return "BOOL";
    default:
      break;
  }
  TG_INTERNAL_ASSERT(false, "no safetensors name for dtype ", t);
}

optional<ScalarType> dtype_from_name(const std::string& name) {
  if (name == "F32") return kFloat;
  if (name == "F64") return kDouble;
  if (name == "I64") return kLong;
  if (name == "BOOL") return kBool;
  return nullopt;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A value of the header for an error message: its JSON, cut short (a header can
// hold a megabyte of it).
std::string shown(const json& value) {
  constexpr size_t kMaxChars = 60;
  std::string text = value.dump();
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  return text;
}

// Rejects repeated keys in any object of the header (the format forbids them;
// nlohmann would silently keep the last one), and nesting deeper than the format's:
// nlohmann parses any depth, but dumps and compares recursively, so that 200,000
// nested brackets in a 400 KB header overflowed the stack.
class HeaderCheck {
 public:
  explicit HeaderCheck(const std::string& path) : path_(path) {}
  bool operator()(int depth, json::parse_event_t event, json& parsed) {
    // The header object, a tensor's entry or the metadata, a shape or data_offsets.
    constexpr int kMaxDepth = 3;
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxDepth)
      invalid(path_, "its header nests objects or arrays ", depth + 1, " deep; a safetensors header nests ",
              kMaxDepth);
    if (event == json::parse_event_t::object_start) {
      open_.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open_.pop_back();
    } else if (event == json::parse_event_t::key) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_.back().insert(key).second) invalid(path_, "its header repeats the key '", key, "'");
    }
    return true;
  }

 private:
  const std::string& path_;
  std::vector<std::set<std::string>> open_;
};

Entry parse_entry(const std::string& name, const json& value, const std::string& path) {
  if (!value.is_object()) invalid(path, "the header entry for tensor '", name, "' is not an object");
  for (const auto& [field, unused] : value.items()) {
    if (field != "dtype" && field != "shape" && field != "data_offsets")
      invalid(path, "tensor '", name, "' has an unexpected field '", field, "'");
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(field)) invalid(path, "tensor '", name, "' has no '", field, "'");
  }

  Entry e;
  e.name = name;
  const json& dtype = value["dtype"];
  if (!dtype.is_string()) invalid(path, "tensor '", name, "' has a dtype that is not a string: ", shown(dtype));
  const optional<ScalarType> t = dtype_from_name(dtype.get<std::string>());
  if (!t) invalid(path, "tensor '", name, "' has dtype ", shown(dtype), ", tensorgrad reads ", kSupported);
  e.dtype = *t;

  const json& shape = value["shape"];
  const auto max_dim = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const bool shape_ok = shape.is_array() && std::all_of(shape.begin(), shape.end(), [&](const json& d) {
                          return d.is_number_unsigned() && d.get<uint64_t>() <= max_dim;
                        });
  if (!shape_ok) invalid(path, "tensor '", name, "' has shape ", shown(shape), ", expected a list of sizes >= 0");
  // The sizes other than 0 too must multiply within int64, as for any tensor
  // (core::checked_numel): [0, 2^62, 4] is refused.
  uint64_t nbytes = element_size(e.dtype);
  bool empty = false;
  for (const json& d : shape) {
    const uint64_t size = d.get<uint64_t>();
    e.shape.push_back(static_cast<int64_t>(size));
    empty |= size == 0;
    if (__builtin_mul_overflow(nbytes, size == 0 ? 1 : size, &nbytes) || nbytes > max_dim)
      invalid(path, "tensor '", name, "' has shape ", shown(shape), ", too large to exist");
  }
  if (empty) nbytes = 0;

  const json& offsets = value["data_offsets"];
  const bool offsets_ok = offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                          offsets[1].is_number_unsigned() && offsets[0].get<uint64_t>() <= offsets[1].get<uint64_t>();
  if (!offsets_ok)
    invalid(path, "tensor '", name, "' has data_offsets ", shown(offsets), ", expected [begin, end] with begin <= end");
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  if (e.end - e.begin != nbytes)
    invalid(path, "tensor '", name, "' (", dtype_name(e.dtype), ", shape ", shape_string(e.shape), ") needs ", nbytes,
            " bytes but its data_offsets ", shown(offsets), " span ", e.end - e.begin);
  return e;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> write_order(std::vector<std::pair<std::string, Tensor>> tensors) {
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) {
    const size_t sa = a.second.element_size(), sb = b.second.element_size();
    return sa != sb ? sa > sb : a.first < b.first;
  });
  return tensors;
}

std::string make_header(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& path) {
  ordered_json header = ordered_json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    TG_CHECK(name != kMetadataKey, "save: '", path, "': the tensor name '", kMetadataKey,
             "' is reserved by the safetensors format");
    ordered_json entry = ordered_json::object();
    entry["dtype"] = dtype_name(t.dtype());
    entry["shape"] = t.sizes().vec();
    entry["data_offsets"] = {offset, offset + t.nbytes()};
    offset += t.nbytes();
    header[name] = std::move(entry);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::type_error& e) {
    TG_CHECK(false, "save: '", path, "': a tensor name is not valid UTF-8 (", e.what(), ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

// Note [Validating a safetensors header]
// Everything a load takes from the file is checked before it is used: the JSON, with
// no repeated keys; each entry with exactly dtype, shape and data_offsets, of the
// right types; a supported dtype; sizes whose byte count cannot overflow and equals
// end - begin; and the entries, sorted by offset, tiling the data section exactly
// (no overlap, no gap, nothing left over). Reading the data section in that order
// then fills every tensor from exactly its bytes, and a truncated file always fails
// here, because its data section is shorter than the last tensor's end.
std::vector<Entry> parse_header(std::string_view text, uint64_t data_size, const std::string& path) {
  if (text.empty() || text.front() != '{') invalid(path, "its header does not start with '{'");
  // The JSON reader would stop at a NUL and ignore the rest.
  if (text.find('\0') != std::string_view::npos) invalid(path, "its header contains a NUL byte");
  json header;
  try {
    header = json::parse(text.begin(), text.end(), HeaderCheck(path));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e400
    invalid(path, "its header is not valid JSON: ", e.what());
  }

  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      const bool ok =
          value.is_object() && std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); });
      if (!ok) invalid(path, "its ", kMetadataKey, " must map strings to strings, got ", shown(value));
      continue;
    }
    entries.push_back(parse_entry(name, value, path));
    const Entry& e = entries.back();
    if (e.end > data_size)
      invalid(path, "tensor '", e.name, "' has data_offsets [", e.begin, ", ", e.end, "] beyond the data section (",
              data_size, " bytes; is the file truncated?)");
  }

  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < covered)
      invalid(path, "tensor '", e.name, "' (bytes [", e.begin, ", ", e.end, ")) overlaps tensor '", previous->name,
              "' (bytes [", previous->begin, ", ", previous->end, "))");
    if (e.begin > covered)
      invalid(path, "bytes [", covered, ", ", e.begin, ") of the data section belong to no tensor");
    covered = e.end;
    previous = &e;
  }
  if (covered != data_size)
    invalid(path, "the data section holds ", data_size, " bytes but its tensors cover only ", covered);
  return entries;
}

}  // namespace tg::serialize
