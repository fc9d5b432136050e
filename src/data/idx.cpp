#include "data/idx.h"

#include <sys/mman.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "tensorgrad/error.h"

namespace tg::data::idx {
namespace {

constexpr uint32_t kUbyteType = 0x08;
constexpr int kMaxDims = 3;
// The payload buffer starts at most this large and grows only as data arrives, so a
// corrupt header announcing terabytes ends in a "truncated" error, not a huge allocation.
constexpr size_t kInitialCapacity = size_t{256} << 20;
// gzread takes an unsigned length; large reads let zlib inflate straight into our buffer.
constexpr size_t kReadChunk = size_t{1} << 26;
constexpr unsigned kGzBufferSize = 1u << 20;

// Note [Huge pages for the payload]: the 47 MB of training images are read into
// memory backed by 2 MB pages where the kernel has them (transparent huge pages
// on request, Linux's default setting). With 4 KB pages, on the 2-vCPU VM the
// benchmarks run on, reading the file took 140-164 ms and the first user-space
// touch of the pages read() had filled another 60-68 ms (a fault per page), paid
// by the first training epoch's batch gathers; with 2 MB pages, 14-18 ms and
// under 1 ms. The random gathers of every epoch also need 24 TLB entries for the
// images instead of 11,500. Where huge pages are unavailable it is a plain
// allocation.
constexpr size_t kHugePage = size_t{2} << 20;

uint8_t* allocate_payload(size_t bytes) {
  if (bytes < kHugePage) return static_cast<uint8_t*>(std::malloc(bytes));
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, rounded));
#ifdef MADV_HUGEPAGE
  if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves 4 KB pages
#endif
  return p;
}

uint32_t big_endian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex(uint32_t v) {
  std::ostringstream os;
  os << "0x" << std::hex;
  os.width(8);
  os.fill('0');
  os << v;
  return os.str();
}

std::string shape_string(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? " x " : "") << dims[i];
  return os.str();
}

// A file read through zlib, which passes plain (non-gzip) files through unchanged.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    TG_CHECK(file_, "MNIST: cannot open '", path, "': ", errno ? std::strerror(errno) : "out of memory");
    gzbuffer(file_, kGzBufferSize);
  }
  ~Reader() { gzclose_r(file_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Reads up to n bytes; fewer only where the data ends. Raises on corrupt gzip data.
  size_t read(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      const int r = gzread(file_, dst + got, static_cast<unsigned>(std::min(n - got, kReadChunk)));
      if (r < 0) {
        int code = Z_OK;
        const std::string msg = message(&code);
        TG_CHECK(false, "MNIST: '", path_, "' is corrupt: ", code == Z_ERRNO ? std::strerror(errno) : msg,
                 " (zlib error ", code, ")");
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  // zlib's explanation of why the data ended early (e.g. a truncated gzip stream), or "".
  std::string why_short() const {
    int code = Z_OK;
    const std::string msg = message(&code);
    return code == Z_OK ? std::string() : " (zlib: " + msg + ")";
  }

 private:
  // zlib's message without the "path: " prefix it adds (ours name the path already).
  std::string message(int* code) const {
    std::string msg = gzerror(file_, code);
    const std::string prefix = path_ + ": ";
    if (msg.starts_with(prefix)) msg.erase(0, prefix.size());
    return msg;
  }

  std::string path_;
  gzFile file_ = nullptr;
};

}  // namespace

File read_ubyte(const std::string& path, int ndims) {
  TG_INTERNAL_ASSERT(ndims >= 1 && ndims <= kMaxDims);
  Reader in(path);

  std::array<uint8_t, 4 + 4 * kMaxDims> header{};
  const size_t header_size = 4 + 4 * static_cast<size_t>(ndims);
  const size_t header_got = in.read(header.data(), header_size);
  TG_CHECK(header_got == header_size, "MNIST: '", path, "' is truncated: its header needs ", header_size,
           " bytes but the file holds ", header_got, in.why_short());

  const uint32_t magic = big_endian32(header.data());
  const uint32_t expected_magic = (kUbyteType << 8) | static_cast<uint32_t>(ndims);
  TG_CHECK(magic == expected_magic, "MNIST: '", path, "' has the wrong magic number ", hex(magic), ", expected ",
           hex(expected_magic), " (an IDX file of unsigned bytes with ", ndims, " dimensions)");

  File f;
  size_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    const uint32_t d = big_endian32(header.data() + 4 + 4 * i);
    f.dims.push_back(d);
    TG_CHECK(!__builtin_mul_overflow(total, size_t{d}, &total), "MNIST: '", path,
             "' declares an impossible size in its header");
  }

  size_t capacity = std::max<size_t>(1, std::min(total, kInitialCapacity));
  f.bytes.reset(allocate_payload(capacity));
  TG_CHECK(f.bytes, "MNIST: out of memory reading '", path, "'");
  size_t got = 0;
  for (;;) {
    got += in.read(f.bytes.get() + got, std::min(capacity, total) - got);
    if (got < capacity || got == total) break;
    capacity = std::min(total, capacity * 2);
    uint8_t* grown = allocate_payload(capacity);
    TG_CHECK(grown, "MNIST: out of memory reading '", path, "'");
    std::memcpy(grown, f.bytes.get(), got);
    f.bytes.reset(grown);
  }
  TG_CHECK(got == total, "MNIST: '", path, "' is truncated: its header announces ", shape_string(f.dims), " = ", total,
           " bytes of data but the file holds ", got, in.why_short());

  // Reading past the end also makes zlib check the gzip trailer (CRC and length).
  uint8_t extra = 0;
  TG_CHECK(in.read(&extra, 1) == 0, "MNIST: '", path, "' holds more data than the ", shape_string(f.dims), " = ", total,
           " bytes its header announces");
  const std::string why = in.why_short();
  TG_CHECK(why.empty(), "MNIST: '", path, "' is truncated: the gzip stream ends before its trailer", why);
  f.nbytes = total;
  return f;
}

}  // namespace tg::data::idx
