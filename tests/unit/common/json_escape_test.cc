// The hand-written JSON string writer must write exactly what nlohmann::json writes with the
// replace error handler (the API's bodies), byte for byte, for any input bytes.

#include "common/json_escape.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace flare {
namespace {

std::string Nlohmann(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

TEST(JsonEscape, QuotesBackslashesAndNamedControlCharacters) {
  EXPECT_EQ(Escaped(""), "\"\"");
  EXPECT_EQ(Escaped("plain"), "\"plain\"");
  EXPECT_EQ(Escaped("say \"hi\" \\ back"), R"("say \"hi\" \\ back")");
  EXPECT_EQ(Escaped("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Escaped("a/b"), "\"a/b\"") << "a slash is not escaped";
}

TEST(JsonEscape, EveryControlCharacterAsNlohmannWritesIt) {
  for (int c = 0; c < 0x20; ++c) {
    std::string text = "x" + std::string(1, static_cast<char>(c)) + "y";
    EXPECT_EQ(Escaped(text), Nlohmann(text)) << c;
  }
  EXPECT_EQ(Escaped(std::string("\x00", 1)), R"("\u0000")");
  EXPECT_EQ(Escaped("\x1f"), R"("\u001f")") << "lowercase hex";
  EXPECT_EQ(Escaped("\x7f"), "\"\x7f\"") << "DEL passes through";
}

TEST(JsonEscape, ValidUtf8PassesThroughUnescaped) {
  for (std::string text :
       {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbb\xbf", "\xf4\x8f\xbf\xbf",
        "\xed\x9f\xbf", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"}) {
    EXPECT_EQ(Escaped(text), "\"" + text + "\"");
    EXPECT_EQ(Escaped(text), Nlohmann(text));
  }
}

TEST(JsonEscape, InvalidUtf8IsReplacedWhereNlohmannReplacesIt) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(Escaped("a\xff"
                    "b"),
            "\"a" + fffd + "b\"");
  EXPECT_EQ(Escaped("\xe2\x82"), "\"" + fffd + "\"") << "cut off at the end: one U+FFFD";
  EXPECT_EQ(Escaped("\xe2\x28x"), "\"" + fffd + "(x\"") << "the breaking byte is read again";
  for (std::string text :
       {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xf0\x9f\x98", "\xc3\xc3\xa9",
        "\xe2\x82\"", "\xe2\n", "ok\xf0\x9f\x98\x80\xf0\x9f"}) {
    EXPECT_EQ(Escaped(text), Nlohmann(text)) << ::testing::PrintToString(text);
  }
}

// Random strings over the bytes that matter (ASCII, escapes, leads, continuations, bad
// bytes): every one written as nlohmann writes it.
TEST(JsonEscape, RandomBytesMatchNlohmannByteForByte) {
  const unsigned char alphabet[] = {'a',  '"',  '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0x8f,
                                    0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1,
                                    0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  std::mt19937 random(7);
  std::uniform_int_distribution<size_t> pick(0, sizeof alphabet - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = length(random); n > 0; --n)
      text.push_back(static_cast<char>(alphabet[pick(random)]));
    ASSERT_EQ(Escaped(text), Nlohmann(text)) << ::testing::PrintToString(text);
  }
}

}  // namespace
}  // namespace flare
