// What the page says when the signaling server refuses something. It goes by
// the refusal's stable `code` (docs/protocol.md), never by the English
// `message` beside it: the words may change, the codes do not.

// A refused login: what happened and what to do about it. `name` is the name
// the person asked for. A server that sends no code (or one this page does
// not know) has its own message shown.
export function loginRefusalText({ code, message }, name) {
  switch (code) {
    case "name_taken":
      return `The name "${name}" is taken: someone is logged in with it. Choose another name.`;
    case "reserved_name":
      return `The name "${name}" is reserved on this server: logging in with it takes its own token. Choose another name.`;
    case "token_required":
      return `This server needs a token to log in as "${name}": paste it in the Token field, or open the page with ?token=….`;
    case "unauthorized":
      return "This server does not accept that token: it was not made for this server, or it is damaged. Get a new one.";
    case "token_expired":
      return "The token has expired: get a new one, paste it in the Token field and log in again.";
    case "token_not_yet_valid":
      return "The token is not valid yet: wait a little, or check this computer's clock.";
    case "wrong_name":
      return `That token is for another name, not "${name}": log in with the name it was made for, or get a token for "${name}".`;
    default: // invalid_name: the message says which rule the name breaks
      return `The name "${name}" was refused: ${message ?? "the server gave no reason"}.`;
  }
}
