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
inline constexpr const char* kPoolNotAllowed = "pool_not_allowed";  // a pool login without a pool token
// A name held by one connection cannot be joined as a pool, nor a pool's name
// taken alone: name_taken.

// An `error` frame: the frame it answers was refused, nothing else happened.
inline constexpr const char* kBadFrame = "bad_frame";
inline constexpr const char* kNotLoggedIn = "not_logged_in";
inline constexpr const char* kAlreadyLoggedIn = "already_logged_in";
inline constexpr const char* kCannotCallSelf = "cannot_call_self";
inline constexpr const char* kNotOnline = "not_online";
inline constexpr const char* kNotInCall = "not_in_call";
inline constexpr const char* kRateLimited = "rate_limited";
inline constexpr const char* kNotInPool = "not_in_pool";  // `load` from a connection that is no pool member
// In a cluster of signaling nodes: the shared store (Redis) is unreachable, so
// a login (whose name must be unique cluster-wide) or a frame for a user on
// another node is refused; calls between this node's users go on.
inline constexpr const char* kClusterUnavailable = "cluster_unavailable";

// Over HTTP (a JSON body {"code":..,"message":..}): a WebSocket upgrade from a
// page of another site (403); /config.json takes the login codes (401).
inline constexpr const char* kOriginNotAllowed = "origin_not_allowed";

// The WHIP and WHEP endpoints (docs/protocol.md#whip-and-whep): the status,
// then the code in the JSON body. The login codes answer a Bearer token (401),
// `not_online` a POST to a name nobody holds (404).
inline constexpr const char* kUnsupportedMediaType = "unsupported_media_type";  // 415
inline constexpr const char* kBadSdp = "bad_sdp";                      // 400: the body is not SDP
inline constexpr const char* kBusy = "busy";                           // 503: the callee is full
inline constexpr const char* kOfferRefused = "offer_refused";          // 422: the callee would not answer
inline constexpr const char* kNoAnswer = "no_answer";                  // 504: no answer in time
inline constexpr const char* kTooManySessions = "too_many_sessions";   // 503
inline constexpr const char* kNoSuchSession = "no_such_session";       // 404: ended, or never was
inline constexpr const char* kNotYourSession = "not_your_session";     // 403: another token's session
inline constexpr const char* kIfMatchRequired = "if_match_required";   // 428
inline constexpr const char* kEtagMismatch = "etag_mismatch";          // 412
inline constexpr const char* kIceRestartUnsupported = "ice_restart_unsupported";  // 422
inline constexpr const char* kMethodNotAllowed = "method_not_allowed";  // 405

}  // namespace mp::protocol::code
