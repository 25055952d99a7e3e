// An event log rendered for output: YAML in tpm2_eventlog 5.4's layout (so its fields can be
// compared with the tool's output), JSON for machines, and text for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "integral/eventlog/event_log.h"
#include "integral/tpm/pcr_set.h"

namespace integral {

// tpm2_eventlog's "version: 1" layout: every event (EventNum, PCRIndex, EventType, digests,
// EventSize, decoded Event), then "pcrs:" with the final value of each PCR the log extends.
// Unlike the tool, SHA-1 format logs are written as a proper YAML list too.
std::string eventlog_yaml(const EventLog& log, const PcrSet& final_values);

nlohmann::ordered_json eventlog_json(const EventLog& log, const PcrSet& final_values);

std::string eventlog_text(const EventLog& log, const PcrSet& final_values);

}  // namespace integral
