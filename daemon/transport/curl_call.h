#pragma once
// One call of the curl transport and what curl does for it on one hop: the easy handle's
// options, the callbacks that bound what a target can make flared hold (response headers,
// body) and the egress check of every address curl opens a socket to, and the mapping of
// how the hop ended onto an HttpCallOutcome. Used only on the transport's loop thread.

#include <curl/curl.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/http_url.h"
#include "daemon/transport/http_transport.h"

namespace flare::daemon {

struct CurlCall {
  using Instant = std::chrono::steady_clock::time_point;

  HttpTransport::CallId id = 0;
  HttpCallSpec spec;  // method, body and headers as the next hop sends them
  HttpUrl url;        // the current hop
  HttpTransport::Done done;
  Instant start, deadline;
  HttpCallOutcome outcome;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  const EgressPolicy* policy = nullptr;

  // What the current hop saw.
  size_t header_bytes = 0;
  int header_lines = 0;
  bool headers_too_large = false;
  bool hit_read_cap = false;
  std::string blocked;  // why the egress guard refused an address, if it did
  char error_buffer[CURL_ERROR_SIZE] = {};
};

/// Sets `call.easy` up for the hop to `call.url` with the time left until the deadline.
/// `fixed_names` are CURLOPT_RESOLVE entries (may be null).
void ConfigureHop(CurlCall& call, curl_slist* fixed_names);

/// Fills `call.outcome` from the hop that ended with `code` (status, failure, trace).
void RecordHop(CurlCall& call, CURLcode code);

/// Frees what ConfigureHop allocated for the hop.
void ReleaseHop(CurlCall& call);

}  // namespace flare::daemon
