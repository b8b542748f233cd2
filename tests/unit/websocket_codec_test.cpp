// RFC 6455 framing: what the server reads from clients, what it refuses and
// with which close code, and what it writes.
#include "protocol/websocket_codec.hpp"
#include "support/client_frames.hpp"

#include <glib.h>
#include <gtest/gtest.h>

using namespace mp::protocol::ws;
using mp::test::client_frame;
using mp::test::client_text;

namespace {

constexpr std::uint8_t kText = 0x1, kBinary = 0x2, kContinuation = 0x0, kClose = 0x8, kPing = 0x9,
                       kPong = 0xA;

struct Fed {
    std::vector<Message> messages;
    std::optional<Failure> failure;
};

Fed feed(Decoder& d, const std::string& bytes) {
    Fed f;
    f.failure = d.feed(bytes, f.messages);
    return f;
}

std::optional<std::uint16_t> failure_code(const std::string& bytes, std::uint64_t limit = 1000) {
    Decoder d(limit);
    auto f = feed(d, bytes);
    if (!f.failure) return std::nullopt;
    return f.failure->code;
}

}  // namespace

TEST(WebSocketDecoder, MaskedTextFrame) {
    Decoder d(1000);
    auto f = feed(d, client_text("hello"));
    ASSERT_FALSE(f.failure);
    ASSERT_EQ(f.messages.size(), 1u);
    EXPECT_EQ(f.messages[0].opcode, Opcode::text);
    EXPECT_EQ(f.messages[0].payload, "hello");
}

TEST(WebSocketDecoder, FramesSplitAnywhereAndSeveralInOneRead) {
    std::string stream = client_text("one") + client_text(std::string(300, 'x')) +
                         client_text(std::string(70000, 'y'));
    Decoder d(100000);
    std::vector<Message> out;
    for (char byte : stream) ASSERT_FALSE(d.feed(std::string_view(&byte, 1), out));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].payload, "one");
    EXPECT_EQ(out[1].payload, std::string(300, 'x'));   // 16-bit length
    EXPECT_EQ(out[2].payload, std::string(70000, 'y'));  // 64-bit length
    Decoder at_once(100000);
    auto f = feed(at_once, stream);
    EXPECT_EQ(f.messages.size(), 3u);
}

TEST(WebSocketDecoder, FragmentsJoinAndControlFramesMayInterleave) {
    Decoder d(1000);
    auto f = feed(d, client_frame(kText, "hel", false) + client_frame(kPing, "p") +
                         client_frame(kContinuation, "lo", false) +
                         client_frame(kContinuation, "!", true));
    ASSERT_FALSE(f.failure);
    ASSERT_EQ(f.messages.size(), 2u);
    EXPECT_EQ(f.messages[0].opcode, Opcode::ping);
    EXPECT_EQ(f.messages[1].opcode, Opcode::text);
    EXPECT_EQ(f.messages[1].payload, "hello!");
}

TEST(WebSocketDecoder, ControlFrames) {
    Decoder d(1000);
    auto f = feed(d, client_frame(kPing, "a") + client_frame(kPong, "") +
                         client_frame(kClose, close_payload(1000, "bye")));
    ASSERT_EQ(f.messages.size(), 3u);
    EXPECT_EQ(f.messages[2].opcode, Opcode::close);
    EXPECT_EQ(close_code(f.messages[2].payload), 1000);
    EXPECT_EQ(close_code(""), kCloseNoStatus);
}

TEST(WebSocketDecoder, TooBigIsRefusedFromTheHeaderAlone) {
    // Only the header of a 1 MiB frame arrives: refused before any payload.
    std::string header = client_frame(kText, std::string(1 << 20, 'x')).substr(0, 14);
    EXPECT_EQ(failure_code(header, 65536), kCloseTooBig);
    EXPECT_EQ(failure_code(client_text(std::string(1001, 'x'))), kCloseTooBig);
    EXPECT_EQ(failure_code(client_text(std::string(1000, 'x'))), std::nullopt);
}

TEST(WebSocketDecoder, FragmentsCannotGrowAMessagePastTheLimit) {
    std::string stream = client_frame(kText, std::string(600, 'x'), false) +
                         client_frame(kContinuation, std::string(600, 'x'), true);
    EXPECT_EQ(failure_code(stream), kCloseTooBig);
}

TEST(WebSocketDecoder, ProtocolErrors) {
    EXPECT_EQ(failure_code(client_frame(kText, "x", true, false)), kCloseProtocolError);  // unmasked
    std::string rsv = client_text("x");
    rsv[0] = static_cast<char>(rsv[0] | 0x40);
    EXPECT_EQ(failure_code(rsv), kCloseProtocolError);
    EXPECT_EQ(failure_code(client_frame(0x3, "x")), kCloseProtocolError);  // reserved opcode
    EXPECT_EQ(failure_code(client_frame(kPing, std::string(126, 'x'))), kCloseProtocolError);
    EXPECT_EQ(failure_code(client_frame(kPing, "x", false)), kCloseProtocolError);
    EXPECT_EQ(failure_code(client_frame(kContinuation, "x")), kCloseProtocolError);
    EXPECT_EQ(failure_code(client_frame(kText, "a", false) + client_text("b")), kCloseProtocolError);
    EXPECT_EQ(failure_code(client_frame(kClose, "x")), kCloseProtocolError);  // 1-byte close
}

TEST(WebSocketDecoder, EveryFailTheConnectionCaseGetsItsCode) {
    for (const auto& hostile : mp::test::hostile_frames())
        EXPECT_EQ(failure_code(hostile.bytes, 65536), hostile.code) << hostile.what;
}

TEST(WebSocketDecoder, ValidCloseFramesAreRead) {
    for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999}) {
        Decoder d(1000);
        auto f = feed(d, client_frame(kClose, close_payload(code, "bye")));
        EXPECT_FALSE(f.failure) << code;
        ASSERT_EQ(f.messages.size(), 1u) << code;
        EXPECT_EQ(close_code(f.messages[0].payload), code);
    }
    Decoder empty(1000);
    EXPECT_FALSE(feed(empty, client_frame(kClose, "")).failure);
}

TEST(WebSocketDecoder, TextMustBeUtf8BinaryNeedNot) {
    EXPECT_EQ(failure_code(client_text("\xff\xfe")), kCloseInvalidPayload);
    // A character split across fragments is fine once joined.
    EXPECT_EQ(failure_code(client_frame(kText, "\xc3", false) +
                           client_frame(kContinuation, "\xa9", true)),
              std::nullopt);
    EXPECT_EQ(failure_code(client_frame(kBinary, "\xff")), std::nullopt);
}

TEST(WebSocketDecoder, NothingIsReadAfterAFailure) {
    Decoder d(1000);
    EXPECT_TRUE(feed(d, client_frame(kText, "x", true, false)).failure);
    auto f = feed(d, client_text("later"));
    EXPECT_FALSE(f.failure);
    EXPECT_TRUE(f.messages.empty());
    EXPECT_TRUE(d.failed());
}

TEST(WebSocketEncoder, LengthEncodings) {
    for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u}) {
        std::string out;
        append_frame(out, Opcode::text, std::string(n, 'z'));
        std::size_t header = n < 126 ? 2 : n <= 65535 ? 4 : 10;
        ASSERT_EQ(out.size(), header + n) << n;
        EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81) << n;
        EXPECT_EQ(static_cast<unsigned char>(out[1]) & 0x80, 0) << "server frames are unmasked";
    }
}

TEST(WebSocketEncoder, ClosePayloadIsCutOnACharacterBoundary) {
    std::string reason;
    for (int i = 0; i < 100; ++i) reason += "é";  // 200 bytes
    std::string payload = close_payload(1001, reason);
    EXPECT_LE(payload.size(), 125u);
    EXPECT_EQ(close_code(payload), 1001);
    EXPECT_TRUE(g_utf8_validate(payload.data() + 2, static_cast<gssize>(payload.size() - 2), nullptr));
    EXPECT_EQ(close_payload(1000, ""), std::string("\x03\xe8", 2));
}

TEST(WebSocketEncoder, ClientFramesAreMaskedWithTheirKey) {
    const MaskKey key = {0xA1, 0xB2, 0xC3, 0xD4};
    std::string out;
    append_client_frame(out, Opcode::text, "hello", key);
    ASSERT_EQ(out.size(), 2u + 4u + 5u);
    EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
    EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x80 | 5) << "masked, 5 bytes";
    EXPECT_EQ(out.substr(2, 4), std::string("\xA1\xB2\xC3\xD4", 4));
    for (std::size_t i = 0; i < 5; ++i)
        EXPECT_EQ(static_cast<char>(out[6 + i] ^ key[i % 4]), "hello"[i]) << i;
    Decoder server_side(1000);
    auto f = feed(server_side, out);
    ASSERT_FALSE(f.failure);
    ASSERT_EQ(f.messages.size(), 1u);
    EXPECT_EQ(f.messages[0].payload, "hello");
}

TEST(WebSocketEncoder, HeaderFieldsAreWrittenAsGivenEvenWhereTheRfcForbidsThem) {
    FrameHeader header;
    header.fin = false;
    header.reserved_bits = 0x40;
    header.opcode = 0xB;  // reserved
    header.payload_length = 70000;
    std::string out;
    append_header(out, header);
    EXPECT_EQ(out, std::string("\x4B\x7F\x00\x00\x00\x00\x00\x01\x11\x70", 10));
    header.mask = MaskKey{1, 2, 3, 4};
    header.payload_length = 300;
    out.clear();
    append_header(out, header);
    EXPECT_EQ(out, std::string("\x4B\xFE\x01\x2C\x01\x02\x03\x04", 8)) << "16-bit length, then the key";
}

TEST(WebSocketEncoder, AFrameDeclaresItsPayloadsLength) {
    FrameHeader header;
    header.opcode = 0x2;
    header.payload_length = 999;  // overridden: the payload is 3 bytes
    std::string out;
    append_frame(out, header, "abc");
    EXPECT_EQ(out, std::string("\x82\x03" "abc", 5));
}

TEST(WebSocketDecoder, FramesFromAServerAreUnmaskedAndAMaskedOneFails) {
    std::string stream;
    append_frame(stream, Opcode::text, std::string(300, 's'));
    append_frame(stream, Opcode::close, close_payload(1001, "bye"));
    Decoder client_side(1000, Sender::server);
    auto f = feed(client_side, stream);
    ASSERT_FALSE(f.failure);
    ASSERT_EQ(f.messages.size(), 2u);
    EXPECT_EQ(f.messages[0].payload, std::string(300, 's'));
    EXPECT_EQ(close_code(f.messages[1].payload), 1001);
    Decoder masked(1000, Sender::server);
    auto refused = feed(masked, client_text("x"));
    ASSERT_TRUE(refused.failure);
    EXPECT_EQ(refused.failure->code, kCloseProtocolError);
    EXPECT_EQ(refused.failure->reason, "server frame masked");
}

TEST(WebSocketDecoder, LongTextIsCheckedToItsLastByte) {
    // Past the first eight bytes too, and wherever a bad byte or a NUL (refused as by GLib) sits.
    for (std::size_t at = 0; at < 40; ++at) {
        for (char bad : {'\xff', '\x80', '\0'}) {
            std::string text(40, 'a');
            text[at] = bad;
            EXPECT_EQ(failure_code(client_text(text)), kCloseInvalidPayload) << "byte " << at << " = " << int(bad);
        }
        std::string text(40, 'a');
        text.replace(at, 1, "\xc3\xa9");  // é: fine anywhere
        EXPECT_EQ(failure_code(client_text(text)), std::nullopt) << "é at " << at;
    }
}
