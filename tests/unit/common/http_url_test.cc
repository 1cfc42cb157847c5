// One URL parser decides for create-time validation (http target) and for the executor's
// requests and redirects (issue 6): what is accepted at create is what can be requested.

#include "common/http_url.h"

#include <gtest/gtest.h>

#include "common/http_target.h"

namespace flare {
namespace {

TEST(HttpUrl, ParsesAndResolvesLocations) {
  Result<HttpUrl> url = ParseHttpUrl("HTTPS://Example.COM/a/b?x=1#frag");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->ToString(), "https://example.com:443/a/b?x=1");
  EXPECT_EQ(ResolveLocation(*url, "/c")->ToString(), "https://example.com:443/c");
  EXPECT_EQ(ResolveLocation(*url, "d?y=2")->ToString(), "https://example.com:443/a/d?y=2");
  EXPECT_EQ(ResolveLocation(*url, "//other.test/e")->ToString(), "https://other.test:443/e");
  EXPECT_EQ(ResolveLocation(*url, "http://x.test:8080")->ToString(), "http://x.test:8080/");
  EXPECT_EQ(ParseHttpUrl("http://[::1]:8080/")->host, "::1");
  EXPECT_EQ(ParseHttpUrl("http://h?q")->target, "/?q");
}

TEST(HttpUrl, RefusesWhatTheExecutorCannotRequest) {
  for (const char* bad :
       {"ftp://h/", "/relative", "http://user:pw@h/", "http://127.0.0.1@example.com/",
        "http://h:0/", "http://h:99999/", "http://h:8o/", "http:// spaced/", "http:///path",
        "http://h\xc3\xa9.test/", "http://a:b:c/", "http://[::1/"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

TEST(HttpUrl, ARefusalDoesNotEchoTheUrl) {
  Result<HttpUrl> url = ParseHttpUrl("http://admin:hunter2@h/");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos) << url.error().message;
  EXPECT_NE(url.error().message.find("user info"), std::string::npos) << url.error().message;
}

TEST(HttpTarget, RefusesUserInfoAndBadPortsAtCreate) {
  for (const char* bad : {"http://user:pw@example.com/hook", "https://example.com:0/",
                          "https://example.com:70000/", "http://example.com:port/"}) {
    Result<HttpTarget> target = ParseHttpTarget({{"url", bad}});
    ASSERT_FALSE(target.ok()) << bad;
    EXPECT_EQ(target.error().code, ErrorCode::kInvalidRequest);
    EXPECT_EQ(target.error().field, "http.url");
    EXPECT_EQ(target.error().message.rfind("http.url is not a usable URL: ", 0), 0u)
        << target.error().message;
  }
  EXPECT_TRUE(ParseHttpTarget({{"url", "https://example.com:8443/hook?x=1"}}).ok());
}

}  // namespace
}  // namespace flare
