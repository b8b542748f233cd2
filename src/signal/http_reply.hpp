// Answers to HTTP requests that are refused: never an empty body (Chromium
// shows its own error page for one), always a stable code for programs.
#pragma once

#include "signal/login_gate.hpp"

#include <libsoup/soup.h>

#include <string>

namespace mp::signal {

// "404 Not Found: WHY\n" as text/plain.
void reply_text_failure(SoupServerMessage* msg, guint status, const std::string& why);

// {"code":..,"message":..} as application/json, not cached; a 401 names the
// Bearer scheme (RFC 6750) in WWW-Authenticate.
void reply_refusal(SoupServerMessage* msg, guint status, const Refusal& refusal);

}  // namespace mp::signal
