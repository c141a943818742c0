#include "daemon/file_mode.h"

#include "common/json_writer.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"
#include "stages/core/processor.h"

namespace newsflow {

FileModeCounts RunFileMode(Runtime& rt, std::istream& in, const std::string& input_name,
                           std::ostream& out, std::ostream* dead_letters) {
  RecordProcessor processor(*rt.pipeline, rt.parse_options, rt.info, 0);
  FileModeCounts counts;
  std::string line;
  std::string dl;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++counts.in;
    Origin origin;
    origin.topic = input_name;
    origin.offset = line_no;
    const ProcessResult& r = processor.Process(line, {}, origin, NowMillis());
    switch (r.fate) {
      case RecordFate::kOutput:
        out.write(r.output->data(), static_cast<std::streamsize>(r.output->size()));
        out.put('\n');
        ++counts.out;
        break;
      case RecordFate::kDropped:
        ++counts.dropped;
        break;
      case RecordFate::kFatal:
        // The environment failed (e.g. state storage): stop here; the line is not lost, it
        // is the first one not written.
        log::Error("stage environment failure; stopping", {{"line", std::to_string(line_no)},
                                                           {"stage", std::string(r.stage)},
                                                           {"reason", std::string(r.reason)}});
        counts.fatal = true;
        out.flush();
        return counts;
      case RecordFate::kDeadLetter: {
        ++counts.dead_lettered;
        log::Warn("bad input line", {{"line", std::to_string(line_no)},
                                     {"stage", std::string(r.stage)},
                                     {"reason", std::string(r.reason)},
                                     {"detail", r.detail}});
        if (dead_letters) {
          dl.clear();
          JsonWriter w(&dl);
          w.BeginObject();
          w.Field("line", line_no);
          w.Field("stage", r.stage);
          w.Field("reason", r.reason);
          w.Field("detail", r.detail);
          w.Field("value", IsValidUtf8(line) ? line : RepairUtf8(line));
          w.EndObject();
          dl.push_back('\n');
          dead_letters->write(dl.data(), static_cast<std::streamsize>(dl.size()));
        }
        break;
      }
    }
  }
  out.flush();
  return counts;
}

}  // namespace newsflow
