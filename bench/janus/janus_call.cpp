// janus-call: mediapeer-call's caller (app/caller.hpp: the same flags, call
// and report) calling the echotest plugin of a Janus server over its HTTP
// API, so that bench/vs-janus.sh loads Janus exactly as it loads mediapeer.
// Benchmark code; Janus serves no /config.json, so ICE servers come from
// --stun/--turn only.
#include "app/caller.hpp"
#include "common/gobj.hpp"
#include "janus/janus_signaller.hpp"

#include <cstdio>

int main(int argc, char** argv) {
    mp::app::CallerProgram program("janus-call", "- call the echotest plugin of a Janus server");
    char* url = nullptr;
    program.add_entry({"janus", 0, 0, G_OPTION_ARG_STRING, &url,
                       "The Janus server's HTTP API (default http://127.0.0.1:8088/janus)",
                       "http://HOST:PORT/janus"});
    program.drop_entries({"signal", "ca", "token-file"});  // mediapeer-signal's, not Janus'
    if (!program.parse(argc, argv)) return 2;
    mp::GCharPtr url_owned(url);
    if (!program.prepare()) return 2;
    mp::bench::JanusSignallerOptions options;
    if (url) options.url = url;
    if (program.peer.name) options.name = program.peer.name;
    std::string callee = options.peer_name;
    auto signaller = mp::bench::make_janus_signaller(std::move(options));
    if (!signaller) {
        std::fprintf(stderr, "janus-call: --janus: %s\n", signaller.error().c_str());
        return 2;
    }
    return program.run(**signaller, callee, program.peer.call());
}
