// A WHIP client (RFC 9725) as a Signaller: the call's offer is POSTed to the
// endpoint, the 201's answer (candidates inside) comes back as on_answer, the
// call's trickled candidates go out as PATCH, its hang-up as DELETE. What
// mediapeer-call --whip URL runs.
#pragma once

#include "common/result.hpp"
#include "peer/signaller.hpp"

#include <memory>
#include <optional>
#include <string>

namespace mp::peer {

struct WhipSignallerOptions {
    std::string url;         // http(s)://HOST[:PORT]/whip/NAME
    std::string ca_file;     // PEM; when set, the only certificates trusted for https
    std::string token_file;  // its token goes as Authorization: Bearer; empty: none
    unsigned timeout_s = 15;  // each request
};

// What is wrong with the options (the URL), or nothing.
std::optional<std::string> invalid_whip_signaller_options_reason(const WhipSignallerOptions& options);

class WhipSignaller final : public Signaller {
public:
    // Validates the options, reads the token and loads the CA file.
    static Result<std::unique_ptr<WhipSignaller>, std::string> create(WhipSignallerOptions options);
    ~WhipSignaller() override;

    // on_ready at once (on the main context): there is nobody to log in to.
    void start(SignallerEvents& events) override;
    // An offer is POSTed; an answer is not something a WHIP client sends.
    void send_sdp(const std::string& peer, const SessionDescription& description) override;
    void send_candidate(const std::string& peer, const IceCandidate& candidate) override;
    void send_end_of_candidates(const std::string& peer, const std::string& mid) override;
    // DELETE on the session's URL.
    void hang_up(const std::string& peer, const std::optional<std::string>& reason) override;
    // Ends the session (DELETE, waited for briefly) if the call did not.
    void stop() override;

    struct Impl;

private:
    explicit WhipSignaller(std::shared_ptr<Impl> impl);
    std::shared_ptr<Impl> impl_;  // shared: replies in flight hold it weakly
};

}  // namespace mp::peer
