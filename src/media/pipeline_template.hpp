// Media behaviours as text: a template in gst-launch syntax per kind of
// media line, read at run time from pipelines/ (see pipelines/README.md).
// Loading checks every fragment for every codec, so a broken template is an
// error at start-up, not at the first call.
#pragma once

#include "common/result.hpp"
#include "media/file_source.hpp"
#include "media/media.hpp"

#include <gst/gst.h>

#include <string>

namespace mp::media {

// What a template does on one kind of line. Empty: not done.
struct LineTemplate {
    std::string send;     // "SOURCE ! {pay}": made here, sent to the other side
    std::string receive;  // "{depay} ! ...": what is done with what arrives
    std::string loop;     // "{depay} ! ... ! {pay}": what arrives, sent back
    // loop = {forward}: what arrives is sent back as RTP, untouched but for
    // the SSRC (media/rtp_forward.hpp); no fragment is built.
    bool forwards() const { return loop == "{forward}"; }
};

struct PipelineTemplate {
    std::string name;  // the file's name without ".pipeline"
    std::string path;
    LineTemplate video, audio;

    const LineTemplate& of_kind(const std::string& kind) const { return kind == "video" ? video : audio; }
    bool sends() const;     // some kind has send or loop
    bool receives() const;  // some kind has receive or loop
    bool uses_file() const; // some fragment has {file}
};

// `name_or_path`: a name ("echo" → DIR/echo.pipeline) or a file's path
// (it has a '/' or ends in ".pipeline"). `file`: the --play file, if any.
Result<PipelineTemplate, std::string> load_template(const std::string& name_or_path,
                                                    const std::string& dir, const FileSource* file);

// The fragment with its placeholders replaced for `line`.
Result<std::string, std::string> expand(const std::string& fragment, const MediaLine& line,
                                        const FileSource* file);

// The source part of a `send` fragment: without its final "! {pay}".
std::string send_source(const std::string& send);

// The payloader for the line, in gst-launch syntax, named "pay".
std::string payloader_description(const MediaLine& line);

// Parses a fragment into a bin whose open ends become its "sink" and "src"
// ghost pads (`input`/`output`: which the fragment must have). A source may
// link late (parsebin ! ...): its waiting sink pads are not open ends.
Result<GstElement*, std::string> parse_fragment(const std::string& description, bool input, bool output);

// What arrives on a line whose template has neither receive nor loop.
inline constexpr const char* kDefaultReceive = "{depay} ! fakesink sync=false async=false";

}  // namespace mp::media
