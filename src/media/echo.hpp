// Echo: the caller's media sent straight back, depayloaded and payloaded
// again, never decoded.
#pragma once

#include "media/media.hpp"

#include <memory>

namespace mp::media {

std::unique_ptr<MediaBehaviour> make_echo();

}  // namespace mp::media
