// The stable codes of refused logins and `error` frames (docs/protocol.md).
// Programs match these, never the English `message` beside them.
#pragma once

namespace mp::protocol::code {

// A refused login (`login` with success:false).
inline constexpr const char* kInvalidName = "invalid_name";
inline constexpr const char* kNameTaken = "name_taken";
inline constexpr const char* kTokenRequired = "token_required";
inline constexpr const char* kUnauthorized = "unauthorized";  // the token is not one of ours
inline constexpr const char* kTokenExpired = "token_expired";
inline constexpr const char* kTokenNotYetValid = "token_not_yet_valid";
inline constexpr const char* kWrongName = "wrong_name";  // the token is for another name
inline constexpr const char* kReservedName = "reserved_name";

// An `error` frame: the frame it answers was refused, nothing else happened.
inline constexpr const char* kBadFrame = "bad_frame";
inline constexpr const char* kNotLoggedIn = "not_logged_in";
inline constexpr const char* kAlreadyLoggedIn = "already_logged_in";
inline constexpr const char* kCannotCallSelf = "cannot_call_self";
inline constexpr const char* kNotOnline = "not_online";
inline constexpr const char* kNotInCall = "not_in_call";
inline constexpr const char* kRateLimited = "rate_limited";

// Over HTTP (a JSON body {"code":..,"message":..}): a WebSocket upgrade from a
// page of another site (403); /config.json takes the login codes (401).
inline constexpr const char* kOriginNotAllowed = "origin_not_allowed";

}  // namespace mp::protocol::code
