// The real programs together on loopback, for the tests that run them:
// mediapeer-signal, mediapeer (the server peer) and mediapeer-call (the
// caller), ICE held to 127.0.0.1; and what a recording on disk is checked by.
#pragma once

#include "common/gobj.hpp"
#include "support/process.hpp"
#include "support/pump.hpp"
#include "support/signal_process.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace mp::test {

struct CallReport {
    int status = -1;
    long video_sent = -1, video_received = -1, audio_sent = -1, audio_received = -1;
    std::string out, err;
};

inline long number(const std::string& text, const char* pattern) {
    std::smatch m;
    return std::regex_search(text, m, std::regex(pattern)) ? std::stol(m[1]) : -1;
}

// An offer webrtcbin accepts: one VP8 video line, ICE credentials, a DTLS
// fingerprint, and no candidate, so the call it starts waits for ICE (until
// the media timeout) without a caller's pipeline: a cheap caller.
inline std::string valid_offer_sdp() {
    std::string fingerprint;
    for (int i = 0; i < 32; ++i) fingerprint += (i ? ":" : "") + std::string("AB");
    return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
           "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
           "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
           "a=fingerprint:sha-256 " + fingerprint + "\r\na=setup:actpass\r\n"
           "a=rtpmap:96 VP8/90000\r\n";
}

// The same as an offer frame's payload.
inline std::string valid_offer() {
    GCharPtr escaped(g_strescape(valid_offer_sdp().c_str(), nullptr));
    return R"({"type":"offer","sdp":")" + std::string(escaped.get()) + "\"}";
}

// Starts mediapeer-signal and mediapeer (with bot_args_) for each test.
class Peers : public testing::Test {
public:
    // Waits for a running mediapeer-call to end and reads its report.
    static CallReport report_of(Process& caller, int timeout_ms) {
        CallReport r;
        r.status = caller.wait(timeout_ms);
        r.out = caller.stdout_text();
        r.err = caller.stderr_text();
        r.video_sent = number(r.out, R"(sent: video (\d+) frames)");
        r.video_received = number(r.out, R"(received: video (\d+) frames)");
        r.audio_sent = number(r.out, R"(sent: video \d+ frames \d+ bytes, audio (\d+) packets)");
        r.audio_received = number(r.out, R"(received: video \d+ frames \d+ bytes, audio (\d+) packets)");
        return r;
    }

    static void expect_echoed(const CallReport& r) {
        EXPECT_EQ(r.status, 0) << r.out << r.err;
        EXPECT_GT(r.video_sent, 30) << r.out;
        EXPECT_GE(r.video_received, r.video_sent * 9 / 10) << r.out;
        EXPECT_GE(r.audio_received, r.audio_sent * 9 / 10) << r.out;
    }


protected:
    void SetUp() override {
        std::string error;
        signal_ = SignalProcess::start({}, &error);
        ASSERT_TRUE(signal_) << error;
        bot_ = start_bot(bot_args_);
        ASSERT_TRUE(bot_);
    }

    std::unique_ptr<Process> start_bot(const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {built_program("mediapeer"), "--signal", signal_->ws_url(),
                                         "--ice-address", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto bot = Process::start(argv);
        if (!bot || !bot->wait_line(std::regex("logged in as"), 10000)) {
            ADD_FAILURE() << "mediapeer did not log in: " << (bot ? bot->stderr_text() : "");
            return nullptr;
        }
        return bot;
    }

    std::unique_ptr<Process> start_call(const std::string& name, const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {built_program("mediapeer-call"), "--signal",
                                         signal_->ws_url(), "--name", name, "--call", "server",
                                         "--ice-address", "127.0.0.1"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return Process::start(argv);
    }

    CallReport call(const std::string& name, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"--duration", "2"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto caller = start_call(name, args);
        return caller ? report_of(*caller, 30000) : CallReport{};
    }

    std::vector<std::string> bot_args_;
    mp::test::TestSession session_;
    std::unique_ptr<SignalProcess> signal_;
    std::unique_ptr<Process> bot_;
};


// What gst-discoverer-1.0 says of a recording.
struct Discovered {
    bool ok = false;
    bool finalized = false;
    double seconds = -1;
    std::string text;
};

// Matroska's Cues element (ID 1C 53 BB 6B) is written when the muxer
// finishes: a file without it was cut off, however well players cope. The
// same four bytes also stand in the SeekHead at the start, as a SeekID
// (53 AB 84 before them); those do not count.
inline bool finalized_matroska(const std::string& path) {
    char* contents = nullptr;
    gsize size = 0;
    if (!g_file_get_contents(path.c_str(), &contents, &size, nullptr)) return false;
    mp::GCharPtr owned(contents);
    std::string_view file(contents, size);
    const std::string_view cues("\x1c\x53\xbb\x6b", 4), seek_id("\x53\xab\x84", 3);
    for (auto at = file.find(cues); at != std::string_view::npos; at = file.find(cues, at + 1))
        if (at < 3 || file.substr(at - 3, 3) != seek_id) return true;
    return false;
}

inline Discovered discover(const std::string& path) {
    Discovered d;
    d.ok = mp::test::run_command({"gst-discoverer-1.0", path}, &d.text);
    d.finalized = finalized_matroska(path);
    std::smatch m;
    if (std::regex_search(d.text, m, std::regex(R"(Duration: (\d+):(\d+):(\d+\.\d+))")))
        d.seconds = std::stoi(m[1]) * 3600 + std::stoi(m[2]) * 60 + std::stod(m[3]);
    return d;
}

// The files in `dir` (recordings are the only ones there).
inline std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> files;
    GDir* d = g_dir_open(dir.c_str(), 0, nullptr);
    while (const char* name = d ? g_dir_read_name(d) : nullptr) files.push_back(dir + "/" + name);
    if (d) g_dir_close(d);
    return files;
}

// A blocking GET, for status endpoints.
struct HttpReply {
    guint status = 0;
    std::string body;
};

inline HttpReply http_get(const std::string& url) {
    GRef<SoupSession> session = adopt_ref(soup_session_new_with_options("timeout", 5, nullptr));
    GRef<SoupMessage> message = adopt_ref(soup_message_new("GET", url.c_str()));
    GBytesPtr body(soup_session_send_and_read(session.get(), message.get(), nullptr, nullptr));
    HttpReply r{soup_message_get_status(message.get()), ""};
    if (body) {
        gsize size = 0;
        const char* data = static_cast<const char*>(g_bytes_get_data(body.get(), &size));
        r.body.assign(data, size);
    }
    return r;
}

// The value of one sample line ("name{labels} value") of a Prometheus text.
inline double sample(const std::string& metrics, const std::string& name) {
    std::smatch m;
    std::string pattern = "\n" + std::regex_replace(name, std::regex(R"([{}\[\]+.])"), R"(\$&)") + R"( ([0-9.e+-]+)\n)";
    return std::regex_search(metrics, m, std::regex(pattern)) ? std::stod(m[1]) : -1;
}

}  // namespace mp::test
