// The frame codec: what parses to what, what is refused and why, round trips.
#include "protocol/frames.hpp"

#include <gtest/gtest.h>

using namespace mp::protocol;

namespace {

ClientFrame client(std::string_view text) {
    auto r = parse_client_frame(text);
    EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : ClientFrame{UsersRequest{}};
}

ParseError client_error(std::string_view text) {
    auto r = parse_client_frame(text);
    EXPECT_FALSE(r.ok()) << text << " parsed";
    return r.ok() ? ParseError{} : r.error();
}

}  // namespace

TEST(ClientFrames, LoginIgnoresMyName) {
    EXPECT_EQ(client(R"({"type":"login","name":"alice","myName":"mallory"})"),
              (ClientFrame{Login{"alice", std::nullopt}}));
}

TEST(ClientFrames, LoginCarriesItsToken) {
    EXPECT_EQ(client(R"({"type":"login","name":"alice","token":"a.b.c"})"),
              (ClientFrame{Login{"alice", "a.b.c"}}));
    EXPECT_EQ(client_error(R"({"type":"login","name":"alice","token":7})").kind,
              ParseErrorKind::wrong_field_type);
}

TEST(ClientFrames, LoginMayJoinAPool) {
    EXPECT_EQ(client(R"({"type":"login","name":"bot","pool":true})"), (ClientFrame{Login{"bot", std::nullopt, true}}));
    EXPECT_EQ(client(R"({"type":"login","name":"bot","pool":null})"), (ClientFrame{Login{"bot", std::nullopt, false}}));
    EXPECT_EQ(client_error(R"({"type":"login","name":"bot","pool":"yes"})").kind, ParseErrorKind::wrong_field_type);
}

TEST(ClientFrames, LoadStatesCallsLimitAndDraining) {
    EXPECT_EQ(client(R"({"type":"load","calls":2,"max_calls":8,"draining":true})"), (ClientFrame{Load{2, 8, true}}));
    EXPECT_EQ(client(R"({"type":"load","calls":0,"max_calls":0})"), (ClientFrame{Load{0, 0, false}}));
}

TEST(ClientFrames, OfferPayloadObjectBecomesCompactJsonText) {
    auto f = client(R"({"type":"offer","offer":{"type":"offer", "sdp":"v=0\r\n"},"name":"bob"})");
    EXPECT_EQ(f, ClientFrame(Offer{"bob", R"({"type":"offer","sdp":"v=0\r\n"})"}));
}

TEST(ClientFrames, OfferPayloadStringIsKeptAsIs) {
    auto f = client(R"({"type":"offer","offer":"{\"sdp\":\"v=0\"}","name":"bob"})");
    EXPECT_EQ(f, ClientFrame(Offer{"bob", R"({"sdp":"v=0"})"}));
}

TEST(ClientFrames, AnswerCandidateLeaveNameMayBeMissingEmptyOrNull) {
    EXPECT_EQ(client(R"({"type":"answer","answer":{"sdp":"x"}})"),
              ClientFrame(Answer{"", R"({"sdp":"x"})"}));
    EXPECT_EQ(client(R"({"type":"candidate","candidate":{"candidate":"c"},"name":""})"),
              ClientFrame(Candidate{"", R"({"candidate":"c"})"}));
    EXPECT_EQ(client(R"({"type":"leave","name":null})"), ClientFrame(Leave{"", std::nullopt}));
}

TEST(ClientFrames, LeaveCarriesReason) {
    EXPECT_EQ(client(R"({"type":"leave","name":"bob","reason":"busy"})"),
              ClientFrame(Leave{"bob", "busy"}));
}

TEST(ClientFrames, UsersRequest) {
    EXPECT_EQ(client(R"({"type":"users"})"), ClientFrame(UsersRequest{}));
}

struct BadFrame {
    const char* text;
    ParseErrorKind kind;
    const char* message;
};

class ClientFrameErrors : public testing::TestWithParam<BadFrame> {};

TEST_P(ClientFrameErrors, NameWhatIsWrong) {
    auto e = client_error(GetParam().text);
    EXPECT_EQ(e.kind, GetParam().kind) << GetParam().text;
    EXPECT_NE(e.message.find(GetParam().message), std::string::npos)
        << "message \"" << e.message << "\" lacks \"" << GetParam().message << "\"";
}

INSTANTIATE_TEST_SUITE_P(
    Codec, ClientFrameErrors,
    testing::Values(
        BadFrame{"hello", ParseErrorKind::not_json, "not JSON"},
        BadFrame{"", ParseErrorKind::not_json, "not JSON"},
        BadFrame{R"({"type":"login")", ParseErrorKind::not_json, "not JSON"},
        BadFrame{R"({"type":"login","name":"a\u0000b"})", ParseErrorKind::not_json,
                 "frame contains \\u0000"},
        BadFrame{"[1,2]", ParseErrorKind::not_object, "not a JSON object"},
        BadFrame{"\"login\"", ParseErrorKind::not_object, "not a JSON object"},
        BadFrame{"42", ParseErrorKind::not_object, "not a JSON object"},
        BadFrame{R"({"name":"a"})", ParseErrorKind::missing_type, "no \"type\""},
        BadFrame{R"({"type":null})", ParseErrorKind::missing_type, "no \"type\""},
        BadFrame{R"({"type":7})", ParseErrorKind::type_not_string, "\"type\" must be a string"},
        BadFrame{R"({"type":["login"]})", ParseErrorKind::type_not_string, "must be a string"},
        BadFrame{R"({"type":"dance"})", ParseErrorKind::unknown_type, "unknown type \"dance\""},
        BadFrame{R"({"type":"Login","name":"a"})", ParseErrorKind::unknown_type, "\"Login\""},
        BadFrame{R"({"type":"login"})", ParseErrorKind::missing_field, "login: missing \"name\""},
        BadFrame{R"({"type":"login","name":5})", ParseErrorKind::wrong_field_type,
                 "login: \"name\" must be a string"},
        BadFrame{R"({"type":"offer","name":"bob"})", ParseErrorKind::missing_field,
                 "offer: missing \"offer\""},
        BadFrame{R"({"type":"offer","offer":{}})", ParseErrorKind::missing_field,
                 "offer: missing \"name\""},
        BadFrame{R"({"type":"offer","offer":5,"name":"bob"})", ParseErrorKind::wrong_field_type,
                 "offer: \"offer\" must be an object or a string"},
        BadFrame{R"({"type":"answer"})", ParseErrorKind::missing_field, "answer: missing \"answer\""},
        BadFrame{R"({"type":"answer","answer":[1]})", ParseErrorKind::wrong_field_type,
                 "\"answer\" must be an object or a string"},
        BadFrame{R"({"type":"candidate","candidate":null})", ParseErrorKind::missing_field,
                 "candidate: missing \"candidate\""},
        BadFrame{R"({"type":"candidate","candidate":{},"name":{}})",
                 ParseErrorKind::wrong_field_type, "candidate: \"name\" must be a string"},
        BadFrame{R"({"type":"leave","reason":3})", ParseErrorKind::wrong_field_type,
                 "leave: \"reason\" must be a string"},
        BadFrame{R"({"type":"load","max_calls":2})", ParseErrorKind::missing_field, "load: missing \"calls\""},
        BadFrame{R"({"type":"load","calls":1})", ParseErrorKind::missing_field, "load: missing \"max_calls\""},
        BadFrame{R"({"type":"load","calls":-1,"max_calls":2})", ParseErrorKind::wrong_field_type,
                 "load: \"calls\" must be from 0 to 1000000"},
        BadFrame{R"({"type":"load","calls":1,"max_calls":1.5})", ParseErrorKind::wrong_field_type,
                 "load: \"max_calls\" must be a whole number"},
        BadFrame{R"({"type":"load","calls":"1","max_calls":2})", ParseErrorKind::wrong_field_type,
                 "load: \"calls\" must be a whole number"},
        BadFrame{R"({"type":"load","calls":1,"max_calls":2,"draining":1})", ParseErrorKind::wrong_field_type,
                 "load: \"draining\" must be a boolean"}));

TEST(ClientFrameErrors, UnknownTypeIsQuotedSafely) {
    auto e = client_error(R"({"type":"a\"b\n"})");
    EXPECT_EQ(e.message, R"(unknown type "a\"b\n")");
}

TEST(ServerFrames, PayloadsAreForwardedAsStrings) {
    EXPECT_EQ(serialize(ServerFrame(Offer{"alice", R"({"sdp":"v=0\r\n"})"})),
              R"({"type":"offer","offer":"{\"sdp\":\"v=0\\r\\n\"}","name":"alice"})");
    EXPECT_EQ(serialize(ServerFrame(Candidate{"bob", "{}"})),
              R"({"type":"candidate","candidate":"{}","name":"bob"})");
}

TEST(ServerFrames, LoginResultShapes) {
    EXPECT_EQ(serialize(ServerFrame(LoginResult{true, "alice", "", ""})),
              R"({"type":"login","success":true,"myName":"alice"})");
    EXPECT_EQ(serialize(ServerFrame(LoginResult{false, "", "name taken", "name_taken"})),
              R"({"type":"login","success":false,"code":"name_taken","message":"name taken"})");
}

TEST(ServerFrames, LeaveReasonOnlyWhenSet) {
    EXPECT_EQ(serialize(ServerFrame(Leave{"bob", std::nullopt})), R"({"type":"leave","name":"bob"})");
    EXPECT_EQ(serialize(ServerFrame(Leave{"bob", "busy"})),
              R"({"type":"leave","name":"bob","reason":"busy"})");
}

TEST(ServerFrames, EscapesControlCharacters) {
    EXPECT_EQ(serialize(ServerFrame(Error{"bad_frame", std::string("a\x01") + "\t\"\\"})),
              R"({"type":"error","code":"bad_frame","message":"a\u0001\t\"\\"})");
}

TEST(RoundTrip, EveryServerFrame) {
    std::vector<ServerFrame> frames = {
        LoginResult{true, "alice", "", ""}, LoginResult{false, "", "name taken", "name_taken"},
        Offer{"alice", R"({"type":"offer","sdp":"v=0\r\na=x\r\n"})"},
        Answer{"bob", R"({"type":"answer","sdp":"v=0"})"},
        Candidate{"bob", R"({"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0})"},
        Leave{"bob", std::nullopt}, Leave{"bob", "busy"}, Error{"not_in_call", "not in a call"},
        UsersList{{"alice", "bob", "名前"}}, UsersList{{}}};
    for (const auto& f : frames) {
        auto text = serialize(f);
        auto back = parse_server_frame(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(*back, f) << text;
    }
}

TEST(RoundTrip, EveryClientFrameSendsPayloadsAsObjects) {
    std::vector<ClientFrame> frames = {
        Login{"alice", std::nullopt}, Login{"alice", "a.b.c"}, Offer{"bob", R"({"type":"offer","sdp":"v=0"})"},
        Answer{"", R"({"type":"answer","sdp":"v=0"})"}, Answer{"alice", R"({"sdp":"x"})"},
        Candidate{"alice", R"({"candidate":"c","sdpMid":"0","sdpMLineIndex":0})"},
        Candidate{"", "not json"}, Leave{"", std::nullopt}, Leave{"alice", "busy"},
        UsersRequest{}, Login{"bot", "a.b.c", true}, Load{3, 8, false}, Load{0, 0, true}};
    for (const auto& f : frames) {
        auto text = serialize(f);
        auto back = parse_client_frame(text);
        ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
        EXPECT_EQ(*back, f) << text;
    }
    EXPECT_EQ(serialize(ClientFrame(Offer{"bob", R"({"sdp":"v=0"})"})),
              R"({"type":"offer","name":"bob","offer":{"sdp":"v=0"}})");
}

TEST(UserNames, Valid) {
    for (const char* name : {"a", "alice", "Alice Smith", "server", "名前", " x "})
        EXPECT_EQ(invalid_user_name_reason(name), std::nullopt) << name;
    EXPECT_EQ(invalid_user_name_reason(std::string(64, 'a')), std::nullopt);
    std::string sixty_four_chars;
    for (int i = 0; i < 64; ++i) sixty_four_chars += "é";  // 64 characters, 128 bytes
    EXPECT_EQ(invalid_user_name_reason(sixty_four_chars), std::nullopt);
}

TEST(UserNames, Invalid) {
    EXPECT_EQ(invalid_user_name_reason(""), "name is empty");
    EXPECT_EQ(invalid_user_name_reason(std::string(65, 'a')), "name is longer than 64 characters");
    EXPECT_EQ(invalid_user_name_reason("a\nb"), "name contains a control character");
    EXPECT_EQ(invalid_user_name_reason(std::string("a\0b", 3)), "name contains a control character");
    EXPECT_EQ(invalid_user_name_reason("a\x7f"), "name contains a control character");
    EXPECT_EQ(invalid_user_name_reason("   "), "name is only white space");
    EXPECT_EQ(invalid_user_name_reason("\xff"), "name is not valid UTF-8");
}
