// tg::save(map, path) and tg::load_tensors(path): safetensors files of named tensors.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "serialize/atomic_file.h"
#include "serialize/safetensors.h"
#include "tensorgrad/ops.h"
#include "tensorgrad/serialize.h"

namespace tg {

// safetensors data is little-endian; tensors are written and read as they lie in memory.
static_assert(std::endian::native == std::endian::little, "tensorgrad's safetensors I/O assumes a little-endian CPU");

namespace {

constexpr size_t kLengthBytes = 8;

// A file opened for reading, closed on scope exit.
class InputFile {
 public:
  explicit InputFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    TG_CHECK(fd_ >= 0, "load: cannot open '", path, "': ", std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      TG_CHECK(false, "load: '", path, "' is not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }

  // Reads exactly n bytes; the header was checked against the file size, so a short
  // read means the file changed while it was being read.
  void read(void* dst, size_t n) {
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t r = ::read(fd_, p, n);
      if (r < 0 && errno == EINTR) continue;
      TG_CHECK(r >= 0, "load: reading '", path_, "' failed: ", std::strerror(errno));
      TG_CHECK(r > 0, "load: '", path_, "' became shorter while it was being read");
      p += r;
      n -= static_cast<size_t>(r);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

void check_booleans(const Tensor& t, const std::string& name, const std::string& path) {
  const auto* bytes = static_cast<const uint8_t*>(t.data_ptr());
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (bytes[i] > 1)
      serialize::invalid(path, "tensor '", name, "' (BOOL) holds the byte ", int{bytes[i]}, " at element ", i,
                         ", booleans must be 0 or 1");
  }
}

}  // namespace

void save(const std::map<std::string, Tensor>& tensors, const std::string& path) {
  std::vector<std::pair<std::string, Tensor>> list;
  list.reserve(tensors.size());
  for (const auto& [name, t] : tensors) {
    TG_CHECK(t.defined(), "save: '", path, "': tensor '", name, "' is undefined");
    list.emplace_back(name, t.detach().contiguous());
  }
  list = serialize::write_order(std::move(list));
  const std::string header = serialize::make_header(list, path);

  uint8_t length[kLengthBytes];
  for (size_t i = 0; i < kLengthBytes; ++i) length[i] = static_cast<uint8_t>(uint64_t{header.size()} >> (8 * i));
  serialize::AtomicFile out(path);
  out.write(length, kLengthBytes);
  out.write(header.data(), header.size());
  for (const auto& item : list) out.write(item.second.data_ptr(), item.second.nbytes());
  out.commit();
}

std::map<std::string, Tensor> load_tensors(const std::string& path) {
  InputFile in(path);
  const uint64_t size = in.size();
  if (size < kLengthBytes)
    serialize::invalid(path, "the file holds ", size, " bytes, fewer than the ", kLengthBytes, " of the header length");
  uint8_t length[kLengthBytes];
  in.read(length, kLengthBytes);
  uint64_t header_size = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) header_size |= uint64_t{length[i]} << (8 * i);
  if (header_size > size - kLengthBytes)
    serialize::invalid(path, "its header length ", header_size, " exceeds the ", size - kLengthBytes,
                       " bytes that follow it");
  if (header_size > serialize::kMaxHeaderBytes)
    serialize::invalid(path, "its header length ", header_size, " exceeds the format's limit of ",
                       serialize::kMaxHeaderBytes, " bytes");

  std::string header(header_size, '\0');
  in.read(header.data(), header.size());
  const std::vector<serialize::Entry> entries =
      serialize::parse_header(header, size - kLengthBytes - header_size, path);

  // parse_header returns the entries in file order, tiling the data section.
  std::map<std::string, Tensor> out;
  for (const serialize::Entry& e : entries) {
    Tensor t = empty(e.shape, e.dtype);
    in.read(t.data_ptr(), t.nbytes());
    if (e.dtype == kBool) check_booleans(t, e.name, path);
    out.emplace(e.name, std::move(t));
  }
  return out;
}

}  // namespace tg
