// The one intake of JSON-object text (frames, signaller payloads): what it
// refuses, with which kind and words, and what it hands back.
#include "protocol/json_object.hpp"

#include <gtest/gtest.h>

using namespace mp::protocol;

TEST(JsonObjectIntake, AnObjectIsHandedBackAndOutlivesItsParser) {
    auto parsed = parse_json_object(R"({"type":"offer","n":3})", "frame");
    ASSERT_TRUE(parsed) << parsed.error().message;
    JsonObject* object = parsed->get();
    EXPECT_STREQ(json_object_get_string_member(object, "type"), "offer");
    EXPECT_EQ(json_object_get_int_member(object, "n"), 3);
    EXPECT_EQ(json_object_get_size(object), 2u);
}

struct Refusal {
    const char* text;
    JsonObjectErrorKind kind;
    const char* message;  // the whole message, or its start when it ends in ": "
};

class JsonObjectRefusals : public testing::TestWithParam<Refusal> {};

TEST_P(JsonObjectRefusals, NameTheirKindAndWhatWasRefused) {
    auto parsed = parse_json_object(GetParam().text, "frame");
    ASSERT_FALSE(parsed) << GetParam().text;
    EXPECT_EQ(parsed.error().kind, GetParam().kind) << GetParam().text;
    std::string expected = GetParam().message;
    if (expected.ends_with(": "))
        EXPECT_EQ(parsed.error().message.rfind(expected, 0), 0u) << parsed.error().message;
    else
        EXPECT_EQ(parsed.error().message, expected);
}

INSTANTIATE_TEST_SUITE_P(
    Intake, JsonObjectRefusals,
    testing::Values(Refusal{R"({"name":"a\u0000b"})", JsonObjectErrorKind::escaped_nul, "frame contains \\u0000"},
                    Refusal{R"(["\u0000"])", JsonObjectErrorKind::escaped_nul, "frame contains \\u0000"},
                    Refusal{"hello", JsonObjectErrorKind::not_json, "not JSON: "},
                    Refusal{R"({"type":"login")", JsonObjectErrorKind::not_json, "not JSON: "},
                    Refusal{"", JsonObjectErrorKind::empty, "not JSON: empty frame"},
                    Refusal{"[1,2]", JsonObjectErrorKind::not_object, "frame is not a JSON object"},
                    Refusal{"\"text\"", JsonObjectErrorKind::not_object, "frame is not a JSON object"},
                    Refusal{"42", JsonObjectErrorKind::not_object, "frame is not a JSON object"},
                    Refusal{"null", JsonObjectErrorKind::not_object, "frame is not a JSON object"}));

TEST(JsonObjectIntake, MessagesNameWhatTheTextIs) {
    EXPECT_EQ(parse_json_object("[]", "payload").error().message, "payload is not a JSON object");
    EXPECT_EQ(parse_json_object("", "message").error().message, "not JSON: empty message");
    EXPECT_EQ(parse_json_object(R"({"a":"\u0000"})", "payload").error().message, "payload contains \\u0000");
}

TEST(JsonObjectIntake, InvalidUtf8IsRefusedUpFrontOnlyWhenRequired) {
    std::string text = "{\"candidate\":\"x\xd1\x17\"}";  // json-glib lets this through
    auto required = parse_json_object(text, "payload", Utf8::required);
    ASSERT_FALSE(required);
    EXPECT_EQ(required.error().kind, JsonObjectErrorKind::not_utf8);
    EXPECT_EQ(required.error().message, "payload is not UTF-8");
    auto unchecked = parse_json_object(text, "payload");
    EXPECT_TRUE(unchecked || unchecked.error().kind != JsonObjectErrorKind::not_utf8)
        << "unchecked: the caller checks what it takes out";
    EXPECT_TRUE(parse_json_object(R"({"name":"é"})", "payload", Utf8::required));
}
