// mediapeer-call: the native caller. Calls a user (a browser or the server
// peer) through mediapeer-signal, sends a test pattern and a tone or a file,
// counts what comes back (and may record it), and prints the call's set-up
// times and its frame counts (app/caller.hpp). Exits non-zero if the call
// fails or no media arrives.
#include "app/caller.hpp"
#include "common/gobj.hpp"
#include "peer/ws_signaller.hpp"

#include <cstdio>

int main(int argc, char** argv) {
    mp::app::CallerProgram program("mediapeer-call", "- call a user");
    char* callee = nullptr;
    program.add_entry({"call", 0, 0, G_OPTION_ARG_STRING, &callee, "User to call (required)", "NAME"});
    if (!program.parse(argc, argv)) return 2;
    mp::GCharPtr callee_owned(callee);
    if (!callee) {
        std::fprintf(stderr, "mediapeer-call: --call NAME is required\n");
        return 2;
    }
    if (!program.prepare()) return 2;
    auto signaller = mp::peer::WsSignaller::create(program.peer.signaller("mediapeer-call"));
    if (!signaller) {
        std::fprintf(stderr, "mediapeer-call: %s\n", signaller.error().c_str());
        return 2;
    }
    auto options = program.peer.call((*signaller)->options());
    return program.run(**signaller, callee, std::move(options));
}
