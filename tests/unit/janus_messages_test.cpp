// The Janus API messages of the benchmarks' Janus signaller (bench/janus/):
// each reply and event it handles parses to what it acts on, each malformed
// message to an error saying what is wrong, and its requests are the JSON
// Janus expects.
#include "janus/janus_messages.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace mp::bench;
using mp::peer::IceCandidate;
using mp::peer::SessionDescription;

namespace {

JanusMessage parsed(std::string_view text) {
    auto r = parse_janus_message(text);
    EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error());
    return r.ok() ? r.value() : JanusMessage{};
}

std::string refusal(std::string_view text) {
    auto r = parse_janus_message(text);
    EXPECT_FALSE(r.ok()) << text << " parsed";
    return r.ok() ? "" : r.error();
}

}  // namespace

TEST(JanusReplies, SuccessOfCreateCarriesTheNewSessionId) {
    auto m = parsed(R"({"janus":"success","transaction":"t1","data":{"id":4411231244}})");
    EXPECT_EQ(m.kind, JanusKind::success);
    EXPECT_EQ(m.transaction, "t1");
    EXPECT_EQ(m.data_id, 4411231244u);
    EXPECT_EQ(m.session_id, 0u);
    EXPECT_TRUE(m.error.empty());
}

TEST(JanusReplies, SuccessOfAttachCarriesItsSessionAndTheHandleId) {
    auto m = parsed(R"({"janus":"success","session_id":7,"transaction":"t2","data":{"id":99}})");
    EXPECT_EQ(m.kind, JanusKind::success);
    EXPECT_EQ(m.session_id, 7u);
    EXPECT_EQ(m.data_id, 99u);
}

TEST(JanusReplies, AckCarriesItsTransactionAndNothingElse) {
    auto m = parsed(R"({"janus":"ack","session_id":7,"transaction":"t3"})");
    EXPECT_EQ(m.kind, JanusKind::ack);
    EXPECT_EQ(m.transaction, "t3");
    EXPECT_EQ(m.data_id, 0u);
    EXPECT_FALSE(m.jsep);
    EXPECT_TRUE(m.error.empty());
    EXPECT_EQ(m.error_code, 0);
}

TEST(JanusReplies, ErrorCarriesItsCodeAndReason) {
    auto m = parsed(R"({"janus":"error","transaction":"t5","error":{"code":458,"reason":"No such session 7"}})");
    EXPECT_EQ(m.kind, JanusKind::error);
    EXPECT_EQ(m.transaction, "t5");
    EXPECT_EQ(m.error_code, 458);
    EXPECT_EQ(m.error, "No such session 7");
}

TEST(JanusReplies, ErrorWithoutAReasonSaysNoneWasGiven) {
    auto m = parsed(R"({"janus":"error","error":{"code":490}})");
    EXPECT_EQ(m.error_code, 490);
    EXPECT_EQ(m.error, "no reason given");
    EXPECT_TRUE(m.transaction.empty());  // the session's error, not a request's
}

TEST(JanusEvents, EventWithAnAnswerCarriesTheSdpAndThePluginData) {
    auto m = parsed(R"({"janus":"event","session_id":7,"sender":99,"transaction":"t4",
        "plugindata":{"plugin":"janus.plugin.echotest","data":{"echotest":"event","result":"ok"}},
        "jsep":{"type":"answer","sdp":"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}})");
    EXPECT_EQ(m.kind, JanusKind::event);
    EXPECT_EQ(m.sender, 99u);
    ASSERT_TRUE(m.jsep);
    EXPECT_EQ(*m.jsep, (SessionDescription{"answer", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"}));
    EXPECT_EQ(m.plugin_data, R"({"echotest":"event","result":"ok"})");
    EXPECT_TRUE(m.error.empty());
    EXPECT_EQ(m.error_code, 0);
}

TEST(JanusEvents, EventWithAnOfferCarriesTheOffer) {
    auto m = parsed(R"({"janus":"event","sender":99,"jsep":{"type":"offer","sdp":"v=0\r\n"}})");
    ASSERT_TRUE(m.jsep);
    EXPECT_EQ(*m.jsep, (SessionDescription{"offer", "v=0\r\n"}));
}

TEST(JanusEvents, ThePluginsOwnErrorIsTheMessagesError) {
    auto m = parsed(R"({"janus":"event","sender":99,"plugindata":{"plugin":"janus.plugin.echotest",
        "data":{"echotest":"event","error_code":411,"error":"Invalid element type"}}})");
    EXPECT_EQ(m.error_code, 411);
    EXPECT_EQ(m.error, "Invalid element type");
    EXPECT_FALSE(m.jsep);
}

TEST(JanusEvents, APluginErrorCodeWithoutTextIsStillAnError) {
    auto m = parsed(R"({"janus":"event","plugindata":{"plugin":"p","data":{"error_code":499}}})");
    EXPECT_EQ(m.error_code, 499);
    EXPECT_EQ(m.error, "plugin error");
}

TEST(JanusEvents, TrickleCarriesJanusCandidate) {
    auto m = parsed(R"({"janus":"trickle","session_id":7,"sender":99,"candidate":{"sdpMid":"0",
        "sdpMLineIndex":1,"candidate":"candidate:1 1 udp 2013266431 127.0.0.1 40000 typ host"}})");
    EXPECT_EQ(m.kind, JanusKind::trickle);
    ASSERT_TRUE(m.candidate);
    EXPECT_EQ(*m.candidate, (IceCandidate{"candidate:1 1 udp 2013266431 127.0.0.1 40000 typ host", "0", 1}));
    EXPECT_FALSE(m.candidates_completed);
}

TEST(JanusEvents, TrickleCompletedOrAnEmptyCandidateEndsTheCandidates) {
    auto completed = parsed(R"({"janus":"trickle","candidate":{"completed":true}})");
    EXPECT_TRUE(completed.candidates_completed);
    EXPECT_FALSE(completed.candidate);
    auto empty = parsed(R"({"janus":"trickle","candidate":{"candidate":"","sdpMid":"0","sdpMLineIndex":0}})");
    EXPECT_TRUE(empty.candidates_completed);
    EXPECT_FALSE(empty.candidate);
}

TEST(JanusEvents, HangupCarriesItsReason) {
    auto m = parsed(R"({"janus":"hangup","session_id":7,"sender":99,"reason":"DTLS alert"})");
    EXPECT_EQ(m.kind, JanusKind::hangup);
    EXPECT_EQ(m.reason, "DTLS alert");
}

TEST(JanusEvents, MediaAndSlowlinkSumUpTheirFieldsForTheLog) {
    auto media = parsed(R"({"janus":"media","sender":99,"type":"video","mid":"1","receiving":true,"x":2})");
    EXPECT_EQ(media.kind, JanusKind::media);
    EXPECT_EQ(media.detail, R"(type="video" mid="1" receiving=true)");
    auto slowlink = parsed(R"({"janus":"slowlink","sender":99,"uplink":true,"lost":12,"mid":"0"})");
    EXPECT_EQ(slowlink.kind, JanusKind::slowlink);
    EXPECT_EQ(slowlink.detail, R"(mid="0" uplink=true lost=12)");
    auto up = parsed(R"({"janus":"webrtcup","session_id":7,"sender":99})");
    EXPECT_EQ(up.kind, JanusKind::webrtcup);
    EXPECT_EQ(up.detail, "");
}

TEST(JanusEvents, TheSessionsOwnEventsHaveTheirKinds) {
    EXPECT_EQ(parsed(R"({"janus":"keepalive","session_id":7})").kind, JanusKind::keepalive);
    EXPECT_EQ(parsed(R"({"janus":"timeout","session_id":7})").kind, JanusKind::timeout);
    EXPECT_EQ(parsed(R"({"janus":"detached","session_id":7,"sender":99})").kind, JanusKind::detached);
}

TEST(JanusEvents, AnUnknownWordIsOtherAndKeptForTheLog) {
    auto m = parsed(R"({"janus":"server_info","name":"Janus"})");
    EXPECT_EQ(m.kind, JanusKind::other);
    EXPECT_EQ(m.janus, "server_info");
}

TEST(JanusEvents, NullMembersCountAsAbsent) {
    auto m = parsed(R"({"janus":"ack","transaction":null,"session_id":null,"jsep":null,"error":null})");
    EXPECT_EQ(m.kind, JanusKind::ack);
    EXPECT_TRUE(m.transaction.empty());
    EXPECT_FALSE(m.jsep);
}

struct BadMessage {
    const char* name;
    const char* text;
    const char* error;  // the whole error, or its start when it ends in "..."
};

class JanusMessageErrors : public testing::TestWithParam<BadMessage> {};

TEST_P(JanusMessageErrors, SayWhatIsWrong) {
    std::string error = refusal(GetParam().text);
    std::string expected = GetParam().error;
    if (expected.ends_with("...")) {
        expected.resize(expected.size() - 3);
        EXPECT_TRUE(error.starts_with(expected)) << "\"" << error << "\" does not start with \"" << expected << "\"";
    } else {
        EXPECT_EQ(error, expected);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Parse, JanusMessageErrors,
    testing::Values(
        BadMessage{"NotJson", "hello", "not JSON: ..."},
        BadMessage{"CutShort", R"({"janus":"success")", "not JSON: ..."},
        BadMessage{"Empty", "", "not JSON: empty message"},
        BadMessage{"AnArray", R"([{"janus":"ack"}])", "message is not a JSON object"},
        BadMessage{"AString", R"("success")", "message is not a JSON object"},
        BadMessage{"ANumber", "42", "message is not a JSON object"},
        BadMessage{"EscapedNul", R"({"janus":"event","jsep":{"type":"answer","sdp":"v=0\u0000x"}})",
                   "message contains \\u0000"},
        BadMessage{"NoJanus", R"({"transaction":"t1"})", "no \"janus\" string"},
        BadMessage{"JanusNotAString", R"({"janus":5})", "\"janus\" must be a string"},
        BadMessage{"TransactionNotAString", R"({"janus":"ack","transaction":12})",
                   "\"transaction\" must be a string"},
        BadMessage{"SessionAsText", R"({"janus":"ack","session_id":"7"})",
                   "\"session_id\" must be a positive integer"},
        BadMessage{"SessionZero", R"({"janus":"ack","session_id":0})", "\"session_id\" must be a positive integer"},
        BadMessage{"SenderNegative", R"({"janus":"event","sender":-3})", "\"sender\" must be a positive integer"},
        BadMessage{"SenderFraction", R"({"janus":"event","sender":1.5})", "\"sender\" must be a positive integer"},
        BadMessage{"ReasonNotAString", R"({"janus":"hangup","reason":false})", "\"reason\" must be a string"},
        BadMessage{"DataNotAnObject", R"({"janus":"success","data":[1]})", "\"data\" must be an object"},
        BadMessage{"DataIdAsText", R"({"janus":"success","data":{"id":"12"}})",
                   "data: \"id\" must be a positive integer"},
        BadMessage{"ErrorWithoutErrorObject", R"({"janus":"error","transaction":"t"})",
                   "an \"error\" without an \"error\" object"},
        BadMessage{"ErrorNotAnObject", R"({"janus":"error","error":"bad"})", "\"error\" must be an object"},
        BadMessage{"ErrorCodeAsText", R"({"janus":"error","error":{"code":"458"}})",
                   "error: \"code\" must be an integer"},
        BadMessage{"ErrorReasonNotAString", R"({"janus":"error","error":{"code":458,"reason":1}})",
                   "error: \"reason\" must be a string"},
        BadMessage{"PluginDataNotAnObject", R"({"janus":"event","plugindata":7})",
                   "\"plugindata\" must be an object"},
        BadMessage{"PluginDataDataNotAnObject", R"({"janus":"event","plugindata":{"data":"x"}})",
                   "plugindata: \"data\" must be an object"},
        BadMessage{"PluginErrorCodeAsText", R"({"janus":"event","plugindata":{"data":{"error_code":"411"}}})",
                   "plugindata: \"error_code\" must be an integer"},
        BadMessage{"JsepNotAnObject", R"({"janus":"event","jsep":"v=0"})", "\"jsep\" must be an object"},
        BadMessage{"JsepPranswer", R"({"janus":"event","jsep":{"type":"pranswer","sdp":"v=0"}})",
                   "jsep: type \"pranswer\", expected \"offer\" or \"answer\""},
        BadMessage{"JsepWithoutSdp", R"({"janus":"event","jsep":{"type":"answer"}})", "jsep: no \"sdp\""},
        BadMessage{"JsepSdpNotAString", R"({"janus":"event","jsep":{"type":"answer","sdp":5}})",
                   "jsep: \"sdp\" must be a string"},
        BadMessage{"TrickleWithoutCandidate", R"({"janus":"trickle"})", "trickle: no \"candidate\" object"},
        BadMessage{"TrickleCandidateAsText", R"({"janus":"trickle","candidate":"candidate:1"})",
                   "trickle: \"candidate\" must be an object"},
        BadMessage{"TrickleMidNotAString", R"({"janus":"trickle","candidate":{"candidate":"c","sdpMid":0}})",
                   "trickle: \"sdpMid\" must be a string"},
        BadMessage{"TrickleIndexNegative",
                   R"({"janus":"trickle","candidate":{"candidate":"c","sdpMid":"0","sdpMLineIndex":-1}})",
                   "trickle: \"sdpMLineIndex\" must be an integer >= 0"}),
    [](const testing::TestParamInfo<BadMessage>& info) { return std::string(info.param.name); });

TEST(JanusReplyTransactions, TheReplyToOurRequestCarriesItsTransaction) {
    EXPECT_EQ(janus_reply_problem(parsed(R"({"janus":"ack","transaction":"abc"})"), "abc"), std::nullopt);
}

TEST(JanusReplyTransactions, AReplyWithoutATransactionIsNotOurs) {
    EXPECT_EQ(janus_reply_problem(parsed(R"({"janus":"success","data":{"id":3}})"), "abc"),
              "reply \"success\" carries no transaction");
}

TEST(JanusReplyTransactions, AReplyToAnotherTransactionIsNotOurs) {
    EXPECT_EQ(janus_reply_problem(parsed(R"({"janus":"ack","transaction":"xyz"})"), "abc"),
              "reply \"ack\" carries transaction \"xyz\", not \"abc\"");
}

TEST(JanusRequests, ARequestIsTheVerbTheTransactionAndItsMembers) {
    EXPECT_EQ(janus_request_text("attach", "tx1", {{"plugin", "\"janus.plugin.echotest\""}, {"n", "1"}}),
              R"({"janus":"attach","transaction":"tx1","plugin":"janus.plugin.echotest","n":1})");
    EXPECT_EQ(janus_request_text("destroy", "tx2"), R"({"janus":"destroy","transaction":"tx2"})");
}

TEST(JanusRequests, ARefusalCodeNamesJanusCode) { EXPECT_EQ(janus_refusal_code(458), "janus_458"); }
