// mediapeer-call: the native caller. Calls a user (a browser or the server
// peer) through mediapeer-signal, sends a test pattern and a tone or a file,
// counts what comes back (and may record it), and prints the call's set-up
// times and its frame counts (app/caller.hpp). Exits non-zero if the call
// fails or no media arrives. With --whip URL it is a WHIP client instead: the
// same call, offered to a WHIP endpoint over HTTP; with --whep URL a WHEP
// player: a receive-only offer, and what arrives is counted (or recorded).
#include "app/caller.hpp"
#include "common/gobj.hpp"
#include "peer/whip_signaller.hpp"
#include "peer/ws_signaller.hpp"

#include <cstdio>

namespace {

// WHIP or WHEP: the same HTTP exchange (RFC 9725's), to `url`.
int call_whip(mp::app::CallerProgram& program, const std::string& url) {
    mp::peer::WhipSignallerOptions options{url, program.peer.ca ? program.peer.ca : "",
                                           program.peer.token_file ? program.peer.token_file : ""};
    auto signaller = mp::peer::WhipSignaller::create(options);
    if (!signaller) {
        std::fprintf(stderr, "mediapeer-call: %s\n", signaller.error().c_str());
        return 2;
    }
    return program.run(**signaller, url, program.peer.call());
}

}  // namespace

int main(int argc, char** argv) {
    mp::app::CallerProgram program("mediapeer-call", "- call a user");
    char* callee = nullptr;
    char* whip = nullptr;
    char* whep = nullptr;
    program.add_entry({"call", 0, 0, G_OPTION_ARG_STRING, &callee, "User to call (or give --whip or --whep)", "NAME"});
    program.add_entry({"whip", 0, 0, G_OPTION_ARG_STRING, &whip,
                       "Offer to this WHIP endpoint instead (RFC 9725; --token-file gives its Bearer token)",
                       "http(s)://HOST:PORT/whip/NAME"});
    program.add_entry({"whep", 0, 0, G_OPTION_ARG_STRING, &whep,
                       "Play from this WHEP endpoint instead: offer to receive only (--token-file as for --whip)",
                       "http(s)://HOST:PORT/whep/NAME"});
    if (!program.parse(argc, argv)) return 2;
    mp::GCharPtr callee_owned(callee), whip_owned(whip), whep_owned(whep);
    if (!!callee + !!whip + !!whep != 1) {
        std::fprintf(stderr, "mediapeer-call: give one of --call NAME, --whip URL or --whep URL\n");
        return 2;
    }
    if (!program.prepare()) return 2;
    if (whip) return call_whip(program, whip);
    if (whep) {
        program.offer_receive_only();
        return call_whip(program, whep);  // WHEP is WHIP's exchange with the other direction
    }
    auto signaller = mp::peer::WsSignaller::create(program.peer.signaller("mediapeer-call"));
    if (!signaller) {
        std::fprintf(stderr, "mediapeer-call: %s\n", signaller.error().c_str());
        return 2;
    }
    auto options = program.peer.call((*signaller)->options());
    return program.run(**signaller, callee, std::move(options));
}
