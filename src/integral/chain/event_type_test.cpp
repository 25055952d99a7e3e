#include "integral/chain/event_type.h"

#include <gtest/gtest.h>

#include "integral/chain/event.h"

namespace integral {
namespace {

TEST(EventType, NamesAndParsing) {
  EXPECT_EQ(event_type_name(0x80000007), "EV_EFI_ACTION");
  EXPECT_EQ(event_type_name(0x0000000D), "EV_IPL");
  EXPECT_EQ(event_type_name(0x401), "0x00000401");
  EXPECT_EQ(parse_event_type("ev_separator"), 4u);
  EXPECT_EQ(parse_event_type("IPL"), 0xDu);
  EXPECT_EQ(parse_event_type("0x800000e0"), 0x800000E0u);
  EXPECT_FALSE(parse_event_type("EV_BOGUS").has_value());
}

TEST(Event, NoActionDoesNotExtendAndUnloggedDoes) {
  Event e;
  EXPECT_TRUE(e.extends());
  EXPECT_EQ(e.type_name(), "(unlogged extend)");
  e.type = ev::kNoAction;
  EXPECT_FALSE(e.extends());
}

}  // namespace
}  // namespace integral
