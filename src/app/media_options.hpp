// Choosing a media behaviour from the command line: a pipeline template by
// name or path, and the file it may play. Everything is checked here, at
// start-up: a broken template or an unplayable file never reaches a call.
#pragma once

#include "media/file_source.hpp"
#include "media/pipeline_template.hpp"
#include "media/templated.hpp"

#include <memory>
#include <string>

namespace mp::app {

#ifndef MP_PIPELINES_DIR
#define MP_PIPELINES_DIR "pipelines"
#endif

// `pipeline`: a template's name or path; `play`: a file for {file} ("" for none).
inline Result<media::TemplateSettings, std::string> load_media(const std::string& pipeline,
                                                               const std::string& play, bool loop) {
    media::TemplateSettings settings;
    if (!play.empty()) {
        auto file = media::probe_file(play);
        if (!file) return unexpected(file.error());
        settings.file = std::make_shared<const media::FileSource>(std::move(*file));
    }
    auto loaded = media::load_template(pipeline, MP_PIPELINES_DIR, settings.file.get());
    if (!loaded) return unexpected(loaded.error());
    if (settings.file && !loaded->uses_file())
        return unexpected(loaded->path + " plays no file ({file}), yet --play was given");
    settings.pipeline = std::make_shared<const media::PipelineTemplate>(std::move(*loaded));
    settings.loop = loop;
    return settings;
}

}  // namespace mp::app
