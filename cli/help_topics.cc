#include "cli/help_topics.h"

namespace flare::cli {
namespace {

constexpr const char* kEnvironment =
    R"txt(FLARE_PROFILE     profile to use (like -p/--profile)
FLARE_BASE_URL    API base URL (like --base-url; default http://127.0.0.1:5100)
FLARE_API_KEY     API key (like --api-key)
FLARE_DATA_DIR    the local daemon's data dir, where admin.key is read from when no key is
                  configured and the base URL is loopback (else $XDG_DATA_HOME/flare, else
                  ~/.local/share/flare)
XDG_CONFIG_HOME   the config file is $XDG_CONFIG_HOME/flare/config.json
                  (else ~/.config/flare/config.json; mode 0600)
NO_COLOR          set to any value: no colours (like --no-color)

Precedence: flag > environment > profile > default.
)txt";

constexpr const char* kExitCodes =
    R"txt(0   ok
1   other error (including 400 invalid_request and 5xx)
2   usage: bad flags or arguments, or a destructive verb without --yes and without a terminal
3   not found (404)
4   unauthorized or forbidden (401, 403)
5   conflict or invalid state (409, 422)
6   cannot reach the API
7   rate limited (429)
jobs wait: 0 succeeded, 10 failed or dead_letter, 11 cancelled, 12 timed out
)txt";

constexpr const char* kOutput =
    R"txt(-o table   default: aligned columns, colours and relative times on a terminal;
           tab-separated fields, RFC 3339 times, no header and no colour when piped
-o json    the API object unchanged (a list prints its page: data, has_more, next_cursor)
-o jsonl   one JSON object per line (lists and streams)
-o id      one id per line
Lists take --limit N, --cursor C and --all (follows next_cursor to the last page).
stdout carries only data; errors go to stderr as "error: <sentence> (<code>)" and a "hint:".
)txt";

constexpr const char* kWorker =
    R"txt(flarectl worker run --queue Q [--type T]... [--concurrency N] -- CMD ARGS...
runs CMD (no shell) once per claimed job with the payload JSON on stdin and
FLARE_JOB_ID FLARE_RUN_ID FLARE_ATTEMPT FLARE_MAX_ATTEMPTS FLARE_JOB_TYPE FLARE_QUEUE
FLARE_LEASE_ID in its environment (FLARE_API_KEY is removed). Exit 0 acks the job
succeeded; any other exit (or a signal) acks it failed with the last 4 KiB of stderr as
the error message. A stdout line "::progress 0.5" reports progress (sent with the next
heartbeat); other output is copied to the worker's stderr as "[job_id] line".
Heartbeats extend the lease of running jobs; a job cancelled on the server has its child
killed. Ctrl-C (or SIGTERM) stops polling and lets running jobs finish; a second Ctrl-C
kills them.
)txt";

}  // namespace

const std::vector<HelpTopic>& HelpTopics() {
  static const std::vector<HelpTopic> topics = {
      {"environment", "ENVIRONMENT", kEnvironment},
      {"exit-codes", "EXIT STATUS", kExitCodes},
      {"output", "OUTPUT", kOutput},
      {"worker", "WORKER", kWorker},
  };
  return topics;
}

const HelpTopic* FindHelpTopic(const std::string& name) {
  for (const auto& topic : HelpTopics()) {
    if (name == topic.name) return &topic;
  }
  return nullptr;
}

}  // namespace flare::cli
