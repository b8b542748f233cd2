// The native caller, whatever signaller carries its call: mediapeer-call
// (through mediapeer-signal) and the benchmarks' caller of a Janus server run
// the same flags, the same offering call and the same report, so that a
// benchmark loads both servers alike. The caller sends a
// test pattern and a tone or a file, counts what comes back (and may record
// it), and prints the call's set-up times and its frame counts.
#pragma once

#include "app/peer_options.hpp"
#include "media/templated.hpp"
#include "peer/call.hpp"
#include "peer/signaller.hpp"

#include <glib.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mp::app {

// Why the recording cannot go to `path` (its container must hold the codec,
// its directory must take it), or "".
std::string record_target_problem(const std::string& path, bool h264);

class CallerProgram {
public:
    // `program` names the --config group and starts every error line.
    CallerProgram(const char* program, const char* summary);
    ~CallerProgram();
    CallerProgram(const CallerProgram&) = delete;
    CallerProgram& operator=(const CallerProgram&) = delete;

    // Signaling, ICE and media timeout flags.
    PeerFlags peer;

    // A flag of the program's own, shown before the caller's; its storage
    // must outlive parse().
    void add_entry(const GOptionEntry& entry);
    // Flags of `peer` that mean nothing to this program's signaller.
    void drop_entries(std::initializer_list<std::string_view> long_names);

    // gst_init, the --config file, then argv; false after printing why.
    bool parse(int& argc, char**& argv);
    // Loads what to send and checks where a recording goes; false after
    // printing why. After parse(), before run().
    bool prepare();
    // Offer to receive only, as a player does (WHEP): no media sent, no
    // data channel. Before run().
    void offer_receive_only() { receive_only_ = true; }
    // Offers to `callee` through `signaller` and runs the main loop until the
    // call ends: the exit code (0: the call carried media and ended normally).
    int run(peer::Signaller& signaller, const std::string& callee, peer::CallOptions options);

    const char* name() const { return program_; }

private:
    void add_call_entries();

    const char* program_;
    const char* summary_;
    std::vector<GOptionEntry> entries_;
    char* send_ = nullptr;
    char* record_ = nullptr;
    char** chat_ = nullptr;
    gint duration_s_ = 5;
    gboolean h264_ = FALSE, loop_ = FALSE, relay_ = FALSE;
    bool receive_only_ = false;
    std::optional<media::TemplateSettings> media_;
};

}  // namespace mp::app
