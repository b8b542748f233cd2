#include "protocol/websocket_codec.hpp"

#include <glib.h>

#include <cstring>

namespace mp::protocol::ws {

namespace {

bool is_control(Opcode op) { return static_cast<std::uint8_t>(op) & 0x8; }

bool is_known(std::uint8_t op) {
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

Failure protocol_error(std::string reason) {
    return Failure{kCloseProtocolError, "protocol_error", std::move(reason)};
}

// GLib's validator goes a byte at a time, and most text is ASCII: that is
// skipped eight bytes at a time, up to the first word holding a byte that is
// not ASCII or is NUL (which GLib refuses too).
bool valid_utf8(std::string_view text) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHighBits = 0x8080808080808080ull;
    std::size_t ascii = 0;
    for (; ascii + 8 <= text.size(); ascii += 8) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + ascii, sizeof word);
        bool has_zero_byte = (word - kOnes) & ~word & kHighBits;
        if ((word & kHighBits) || has_zero_byte) break;
    }
    return g_utf8_validate_len(text.data() + ascii, text.size() - ascii, nullptr);
}

// Codes a client may send in a close frame (RFC 6455 7.4, and IANA's 1012-1014).
bool sendable_close_code(std::uint16_t code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

// A close frame's payload: empty, or a sendable code and a UTF-8 reason.
std::optional<Failure> invalid_close(std::string_view payload) {
    if (payload.empty()) return std::nullopt;
    if (payload.size() == 1) return protocol_error("close frame of 1 byte");
    if (!sendable_close_code(close_code(payload))) return protocol_error("close frame with a reserved code");
    if (!valid_utf8(payload.substr(2)))
        return Failure{kCloseInvalidPayload, "invalid_utf8", "close reason is not UTF-8"};
    return std::nullopt;
}

// Masks, or unmasks: the same XOR (RFC 6455 5.3).
void apply_mask(char* data, std::size_t size, const std::uint8_t* key) {
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
}

}  // namespace

std::optional<Failure> Decoder::feed(std::string_view bytes, std::vector<Message>& out) {
    if (failed_) return std::nullopt;
    buffer_.append(bytes);
    std::optional<Failure> failure;
    while (!failure && decode_frame(out, failure)) {
    }
    if (failure) {
        failed_ = true;
        buffer_.clear();
        offset_ = 0;
        return failure;
    }
    buffer_.erase(0, offset_);  // once per feed, not per frame
    offset_ = 0;
    return std::nullopt;
}

bool Decoder::decode_frame(std::vector<Message>& out, std::optional<Failure>& failure) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer_.data()) + offset_;
    std::size_t available = buffer_.size() - offset_;
    if (available < 2) return false;
    bool fin = p[0] & 0x80;
    std::uint8_t op = p[0] & 0x0F;
    if (p[0] & 0x70) return failure = protocol_error("reserved bits set"), false;
    if (!is_known(op)) return failure = protocol_error("unknown opcode"), false;
    bool masked = p[1] & 0x80;
    if (masked != (sender_ == Sender::client))
        return failure = protocol_error(masked ? "server frame masked" : "client frame not masked"), false;
    auto opcode = static_cast<Opcode>(op);
    std::uint64_t length = p[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126 || length == 127) {
        std::size_t bytes = length == 126 ? 2 : 8;
        if (available < 2 + bytes) return false;
        if (bytes == 8 && (p[2] & 0x80))
            return failure = protocol_error("64-bit length with its top bit set"), false;
        length = 0;
        for (std::size_t i = 0; i < bytes; ++i) length = (length << 8) | p[2 + i];
        header += bytes;
    }
    if (is_control(opcode) && (!fin || length > 125))
        return failure = protocol_error("bad control frame"), false;
    // Checked from the header alone, before the payload is buffered; written
    // so that no declared length can wrap (message_ never exceeds the limit).
    if (!is_control(opcode) && length > max_message_bytes_ - message_.size()) {
        failure = Failure{kCloseTooBig, "frame_too_big",
                          "message over " + std::to_string(max_message_bytes_) + " bytes"};
        return false;
    }
    std::size_t key_bytes = masked ? 4 : 0;
    // No wrap: length <= 125 (control) or <= max_message_bytes_ (data).
    if (available < header + key_bytes + length) return false;
    std::string payload(reinterpret_cast<const char*>(p + header + key_bytes), length);
    if (masked) apply_mask(payload.data(), payload.size(), p + header);
    offset_ += header + key_bytes + length;
    if (is_control(opcode)) {
        if (opcode == Opcode::close && (failure = invalid_close(payload))) return false;
        out.push_back({opcode, std::move(payload)});
        return true;
    }
    failure = take_data_frame(opcode, fin, std::move(payload), out);
    return !failure;
}

std::optional<Failure> Decoder::take_data_frame(Opcode opcode, bool fin, std::string payload,
                                                std::vector<Message>& out) {
    if (opcode == Opcode::continuation && !message_opcode_)
        return protocol_error("continuation without a message");
    if (opcode != Opcode::continuation && message_opcode_)
        return protocol_error("new message inside a fragmented one");
    if (opcode != Opcode::continuation) message_opcode_ = opcode;
    // The usual message is one frame: taken as it is, not copied.
    if (message_.empty())
        message_ = std::move(payload);
    else
        message_.append(payload);
    if (!fin) return std::nullopt;
    Opcode kind = *message_opcode_;
    message_opcode_.reset();
    if (kind == Opcode::text && !valid_utf8(message_)) {
        message_.clear();
        return Failure{kCloseInvalidPayload, "invalid_utf8", "text message is not UTF-8"};
    }
    out.push_back({kind, std::move(message_)});
    message_.clear();
    return std::nullopt;
}

void append_header(std::string& out, const FrameHeader& header) {
    out += static_cast<char>((header.fin ? 0x80 : 0) | (header.reserved_bits & 0x70) | (header.opcode & 0x0F));
    char mask_bit = header.mask ? static_cast<char>(0x80) : 0;
    std::uint64_t n = header.payload_length;
    if (n < 126) {
        out += static_cast<char>(mask_bit | static_cast<char>(n));
    } else if (n <= 0xFFFF) {
        out += static_cast<char>(mask_bit | 126);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(n & 0xFF);
    } else {
        out += static_cast<char>(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
    }
    if (header.mask) out.append(reinterpret_cast<const char*>(header.mask->data()), header.mask->size());
}

void append_frame(std::string& out, FrameHeader header, std::string_view payload) {
    header.payload_length = payload.size();
    append_header(out, header);
    std::size_t at = out.size();
    out.append(payload);
    if (header.mask) apply_mask(out.data() + at, payload.size(), header.mask->data());
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
    FrameHeader header;
    header.opcode = static_cast<std::uint8_t>(opcode);
    append_frame(out, header, payload);
}

void append_client_frame(std::string& out, Opcode opcode, std::string_view payload, MaskKey key) {
    FrameHeader header;
    header.opcode = static_cast<std::uint8_t>(opcode);
    header.mask = key;
    append_frame(out, header, payload);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
    std::string out;
    out += static_cast<char>(code >> 8);
    out += static_cast<char>(code & 0xFF);
    // 125 bytes in all; cut on a character boundary.
    std::size_t keep = std::min<std::size_t>(reason.size(), 123);
    while (keep > 0 && keep < reason.size() && (static_cast<unsigned char>(reason[keep]) & 0xC0) == 0x80)
        --keep;
    out.append(reason.substr(0, keep));
    return out;
}

std::uint16_t close_code(std::string_view payload) {
    if (payload.size() < 2) return kCloseNoStatus;
    return static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                      static_cast<unsigned char>(payload[1]));
}

}  // namespace mp::protocol::ws
