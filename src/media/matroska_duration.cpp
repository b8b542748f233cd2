#include "media/matroska_duration.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace mp::media {

namespace {

constexpr std::string_view kInfoId("\x15\x49\xa9\x66", 4);
constexpr std::string_view kDurationId("\x44\x89", 2);
constexpr unsigned char kEightByteSize = 0x88;  // EBML size 8, one byte long
constexpr std::size_t kHeadBytes = 4096;        // header, tracks: well inside

}  // namespace

std::optional<std::size_t> find_duration_value(std::string_view head) {
    auto info = head.find(kInfoId);
    if (info == std::string_view::npos) return std::nullopt;
    auto id = head.find(kDurationId, info + kInfoId.size());
    if (id == std::string_view::npos) return std::nullopt;
    std::size_t size_at = id + kDurationId.size(), value_at = size_at + 1;
    if (value_at + 8 > head.size() || static_cast<unsigned char>(head[size_at]) != kEightByteSize)
        return std::nullopt;
    return value_at;
}

std::string duration_bytes(double ms) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &ms, sizeof bits);
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(bits >> (56 - 8 * i));
    return out;
}

bool write_duration(const std::string& path, double ms) {
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    char head[kHeadBytes];
    ssize_t got = pread(fd, head, sizeof head, 0);
    auto at = got > 0 ? find_duration_value(std::string_view(head, static_cast<std::size_t>(got))) : std::nullopt;
    bool written = false;
    if (at) {
        std::string bytes = duration_bytes(ms);
        written = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(*at)) == 8;
    }
    close(fd);
    return written;
}

}  // namespace mp::media
