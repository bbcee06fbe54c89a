#include "reassembler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace capture_shim {
namespace {

// Records the stream as text; gaps appear as "<gap N>".
class Recorder : public StreamSink {
 public:
  void OnStreamData(const uint8_t* bytes, uint32_t len, int64_t ts) override {
    ASSERT_GT(len, 0u);
    text.append(reinterpret_cast<const char*>(bytes), len);
    last_ts = ts;
  }
  void OnStreamGap(uint64_t lost, int64_t ts) override {
    ASSERT_GT(lost, 0u);
    text += "<gap " + std::to_string(lost) + ">";
    last_ts = ts;
  }
  std::string text;
  int64_t last_ts = -1;
};

class ReassemblerTest : public ::testing::Test {
 protected:
  ReassemblerTest() : budget_(1 << 20) { ctx_ = {limits_, &budget_, &stats_}; }

  void Seg(uint32_t seq, const std::string& data, bool fin = false, int64_t ts = 0) {
    r_.OnSegment(ctx_, seq, reinterpret_cast<const uint8_t*>(data.data()),
                 static_cast<uint32_t>(data.size()), static_cast<uint32_t>(data.size()), fin, ts,
                 &out_);
  }

  ReassemblyLimits limits_;
  BufferBudget budget_;
  ReassemblyStats stats_;
  ReassemblyContext ctx_;
  Reassembler r_;
  Recorder out_;
};

TEST_F(ReassemblerTest, InOrderBytesAreDeliveredOnce) {
  r_.OnSyn(99);
  Seg(100, "hello ");
  Seg(106, "world");
  EXPECT_EQ(out_.text, "hello world");
  EXPECT_EQ(stats_.bytes_delivered, 11u);
  EXPECT_EQ(r_.held_bytes(), 0u);
}

TEST_F(ReassemblerTest, RetransmissionsAreDroppedAndCounted) {
  r_.OnSyn(99);
  Seg(100, "abcdef");
  Seg(100, "abcdef");  // whole retransmission
  Seg(103, "defgh");   // partial: only "gh" is new
  EXPECT_EQ(out_.text, "abcdefgh");
  EXPECT_EQ(stats_.bytes_retransmitted, 9u);
}

TEST_F(ReassemblerTest, ReorderedSegmentsAreHeldUntilTheHoleFills) {
  r_.OnSyn(0);
  Seg(1, "one ");
  Seg(9, "three ");
  Seg(5, "two ");
  EXPECT_EQ(out_.text, "one two three ");
  EXPECT_EQ(stats_.bytes_out_of_order, 6u);
  EXPECT_EQ(r_.held_bytes(), 0u);
  EXPECT_EQ(budget_.used(), 0u);
}

TEST_F(ReassemblerTest, OverlapKeepsTheFirstBytes) {
  r_.OnSyn(0);
  Seg(1, "AAAA");
  Seg(9, "CCCC");          // held: [9, 13)
  Seg(7, "xxXXXXzz");      // [7, 15): "XXXX" at [9,13) loses to the held "CCCC"
  Seg(5, "BBBBBB");        // fills [5, 7); [7, 11) were held first as "xx" + "CC"
  EXPECT_EQ(out_.text, "AAAABBxxCCCCzz");
  EXPECT_EQ(stats_.bytes_duplicate, 4u + 4u);
  // Delivered bytes are never revised either.
  Seg(1, "ZZZZ");
  EXPECT_EQ(out_.text, "AAAABBxxCCCCzz");
}

TEST_F(ReassemblerTest, DuplicateOutOfOrderSegmentsAreCounted) {
  r_.OnSyn(0);
  Seg(10, "later");
  uint64_t held_once = r_.held_bytes();
  Seg(10, "later");
  EXPECT_EQ(stats_.bytes_duplicate, 5u);
  EXPECT_EQ(r_.held_bytes(), held_once);  // still one copy
  Seg(1, "123456789");
  EXPECT_EQ(out_.text, "123456789later");
}

TEST_F(ReassemblerTest, SequenceNumbersWrapAround) {
  r_.OnSyn(0xFFFFFFFA);
  Seg(0xFFFFFFFB, "abcd");      // up to 0xFFFFFFFF
  Seg(0x00000001, "ghij");      // after the wrap, out of order
  Seg(0xFFFFFFFF, "ef");        // straddles it
  EXPECT_EQ(out_.text, "abcdefghij");
  EXPECT_EQ(r_.next_offset(), 10u);
}

TEST_F(ReassemblerTest, MidStreamPickupStartsAtTheFirstSegment) {
  Seg(5000, "middle ");
  Seg(5007, "end");
  Seg(4990, "0123456789");  // before the pickup point: already "past"
  EXPECT_EQ(out_.text, "middle end");
  EXPECT_TRUE(r_.started());
}

TEST_F(ReassemblerTest, HoleThatNeverFillsBecomesAGapPastTheByteBound) {
  limits_.max_held_bytes = 3000;
  ctx_.limits = limits_;
  r_.OnSyn(0);
  Seg(1, "a");
  std::string chunk(1000, 'x');
  Seg(102, chunk);   // hole [2, 102)
  Seg(1102, chunk);
  EXPECT_EQ(out_.text, "a");
  Seg(2102, chunk);  // would pass 3000 bytes held: the hole is given up
  EXPECT_EQ(out_.text, "a<gap 100>" + chunk + chunk + chunk);
  EXPECT_EQ(stats_.bytes_gap, 100u);
  EXPECT_EQ(stats_.holes_skipped, 1u);
  EXPECT_EQ(budget_.used(), 0u);
}

TEST_F(ReassemblerTest, HoleThatNeverFillsBecomesAGapAfterTheTimeout) {
  r_.OnSyn(0);
  Seg(1, "a", false, 1'000'000);
  Seg(5, "e", false, 1'000'000);
  r_.CheckHoleTimeout(ctx_, 1'000'000 + limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "a");
  r_.CheckHoleTimeout(ctx_, 1'000'001 + limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "a<gap 3>e");
  EXPECT_EQ(out_.last_ts, 1'000'000);  // the data keeps its capture time
  Seg(2, "bcd");  // too late: already given up
  EXPECT_EQ(out_.text, "a<gap 3>e");
}

TEST_F(ReassemblerTest, PeerAckPastTheHoleGivesUpOnIt) {
  r_.OnSyn(0);
  Seg(1, "abc");
  Seg(10, "jkl");
  r_.OnPeerAck(ctx_, 4, 0, &out_);  // acknowledges only what we have
  EXPECT_EQ(out_.text, "abc");
  r_.OnPeerAck(ctx_, 13, 0, &out_);  // the receiver got [4, 10) that the capture missed
  EXPECT_EQ(out_.text, "abc<gap 6>jkl");
}

TEST_F(ReassemblerTest, PeerAckInsideTheHoleGapsOnlyWhatWasAcknowledged) {
  r_.OnSyn(0);
  Seg(1, "abc");
  Seg(10, "jkl");
  r_.OnPeerAck(ctx_, 6, 0, &out_);
  EXPECT_EQ(out_.text, "abc<gap 2>");
  Seg(6, "fghi");
  EXPECT_EQ(out_.text, "abc<gap 2>fghijkl");
}

TEST_F(ReassemblerTest, AckPastEverythingCapturedIsALostTailGappedAtTheHoleTimeout) {
  r_.OnSyn(0);
  Seg(1, "abc", false, 0);
  r_.OnPeerAck(ctx_, 10, 1000, &out_);  // the receiver got [4, 10), which the capture lost
  r_.CheckHoleTimeout(ctx_, 1000 + limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "abc");  // awaited: it may still be captured
  r_.CheckHoleTimeout(ctx_, 1001 + limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "abc<gap 6>");
  EXPECT_EQ(stats_.holes_skipped, 1u);
  EXPECT_EQ(stats_.bytes_gap, 6u);
  Seg(4, "defghi");  // too late
  EXPECT_EQ(out_.text, "abc<gap 6>");
}

TEST_F(ReassemblerTest, DataCapturedAfterItsAckIsDeliveredNotGapped) {
  r_.OnSyn(0);
  Seg(1, "abc");
  r_.OnPeerAck(ctx_, 10, 0, &out_);
  Seg(4, "defghi");
  r_.CheckHoleTimeout(ctx_, 10 * limits_.hole_timeout_us, &out_);
  r_.Flush(ctx_, 10 * limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "abcdefghi");
  EXPECT_EQ(stats_.bytes_gap, 0u);
}

TEST_F(ReassemblerTest, ALostTailIsGappedAtFlush) {
  r_.OnSyn(0);
  Seg(1, "abc");
  r_.OnPeerAck(ctx_, 7, 0, &out_);
  r_.OnPeerAck(ctx_, 5, 0, &out_);  // an older ACK takes nothing back
  r_.Flush(ctx_, 0, &out_);
  EXPECT_EQ(out_.text, "abc<gap 3>");
}

TEST_F(ReassemblerTest, AnAckBeforeTheDirectionStartsIsIgnored) {
  r_.OnPeerAck(ctx_, 7, 0, &out_);  // mid-stream pickup: the peer's ACK comes first
  Seg(1, "abc");
  r_.Flush(ctx_, 0, &out_);
  EXPECT_EQ(out_.text, "abc");
}

TEST_F(ReassemblerTest, TheAckOfAFinIsNoLostByte) {
  r_.OnSyn(0);
  Seg(1, "abc", true);  // the FIN takes sequence number 4
  r_.OnPeerAck(ctx_, 5, 0, &out_);
  r_.CheckHoleTimeout(ctx_, 10 * limits_.hole_timeout_us, &out_);
  r_.Flush(ctx_, 10 * limits_.hole_timeout_us, &out_);
  EXPECT_EQ(out_.text, "abc");
  EXPECT_EQ(stats_.bytes_gap, 0u);
}

TEST_F(ReassemblerTest, FinEndsTheDirectionInOrder) {
  r_.OnSyn(0);
  Seg(6, "", true);  // FIN ahead of missing bytes
  EXPECT_TRUE(r_.fin_seen());
  EXPECT_FALSE(r_.finished());
  Seg(1, "hello");
  EXPECT_TRUE(r_.finished());
  Seg(6, "junk after fin");
  EXPECT_EQ(out_.text, "hello");
}

TEST_F(ReassemblerTest, FlushDeliversHeldBytesWithGapsForTheHoles) {
  r_.OnSyn(0);
  Seg(1, "a");
  Seg(3, "c");
  Seg(6, "fg", true);
  r_.Flush(ctx_, 0, &out_);
  EXPECT_EQ(out_.text, "a<gap 1>c<gap 2>fg");
  EXPECT_EQ(budget_.used(), 0u);
}

TEST_F(ReassemblerTest, FinAheadOfMissingBytesIsGappedAtFlush) {
  r_.OnSyn(0);
  Seg(1, "a");
  Seg(4, "", true);
  r_.Flush(ctx_, 0, &out_);
  EXPECT_EQ(out_.text, "a<gap 2>");
}

TEST_F(ReassemblerTest, SnapLengthCutBytesAreGapsInPlace) {
  r_.OnSyn(0);
  const uint8_t part[] = {'a', 'b'};
  r_.OnSegment(ctx_, 1, part, 2, 5, false, 0, &out_);  // in order, cut
  EXPECT_EQ(out_.text, "ab<gap 3>");
  r_.OnSegment(ctx_, 11, part, 2, 4, false, 0, &out_);  // out of order, cut
  Seg(6, "fghij");
  EXPECT_EQ(out_.text, "ab<gap 3>fghijab<gap 2>");
}

TEST_F(ReassemblerTest, GlobalBudgetBoundsHeldBytesAcrossReassemblers) {
  BufferBudget small(4096);
  ReassemblyContext ctx{limits_, &small, &stats_};
  Reassembler a, b;
  Recorder out_a, out_b;
  a.OnSyn(0);
  b.OnSyn(0);
  std::string chunk(1500, 'y');
  a.OnSegment(ctx, 100, reinterpret_cast<const uint8_t*>(chunk.data()), 1500, 1500, false, 0, &out_a);
  a.OnSegment(ctx, 2000, reinterpret_cast<const uint8_t*>(chunk.data()), 1500, 1500, false, 0, &out_a);
  EXPECT_LE(small.used(), small.limit());
  // b cannot hold anything more: its own hole is given up instead of waiting.
  b.OnSegment(ctx, 100, reinterpret_cast<const uint8_t*>(chunk.data()), 1500, 1500, false, 0, &out_b);
  EXPECT_EQ(out_b.text, "<gap 99>" + chunk);
  EXPECT_LE(small.used(), small.limit());
  EXPECT_EQ(out_a.text, "");
}

// maxBufferedBytes is one budget with the HTTP core: what the core reports holding is not the
// reassembly's to use, and a share that shrinks below what is held makes room for nothing more.
TEST_F(ReassemblerTest, TheBudgetHeldElsewhereIsNotTheReassemblysToUse) {
  std::atomic<uint64_t> core_held{0};
  BufferBudget shared(8192, &core_held);
  ReassemblyContext ctx{limits_, &shared, &stats_};
  Reassembler a;
  Recorder out;
  a.OnSyn(0);
  std::string chunk(1500, 'y');
  const auto* bytes = reinterpret_cast<const uint8_t*>(chunk.data());
  a.OnSegment(ctx, 100, bytes, 1500, 1500, false, 0, &out);  // held: the budget is all free
  EXPECT_GT(shared.used(), 0u);
  EXPECT_EQ(out.text, "");
  core_held = 8192 - 1000;  // the core now holds all but 1000 bytes of it
  EXPECT_EQ(shared.limit(), 1000u);
  EXPECT_EQ(shared.available(), 0u);
  // The next out-of-order segment cannot be held: the hole is given up instead of waiting.
  a.OnSegment(ctx, 3000, bytes, 1500, 1500, false, 0, &out);
  EXPECT_EQ(out.text, "<gap 99>" + chunk + "<gap 1400>" + chunk);
  EXPECT_EQ(shared.used(), 0u);
  core_held = 9000;  // more than the whole budget: no share at all, and no underflow
  EXPECT_EQ(shared.limit(), 0u);
  EXPECT_EQ(shared.available(), 0u);
}

TEST_F(ReassemblerTest, AFloodOfTinySegmentsIsBoundedByTheirOverheadToo) {
  limits_.max_held_bytes = 64 * 1024;
  ctx_.limits = limits_;
  r_.OnSyn(0);
  for (uint32_t i = 0; i < 100000; ++i) Seg(10 + 2 * i, "z");  // one byte every other position
  EXPECT_LE(r_.held_bytes(), limits_.max_held_bytes);
  EXPECT_GT(stats_.holes_skipped, 0u);
}

TEST_F(ReassemblerTest, AbsurdSequenceJumpsAreDropped) {
  r_.OnSyn(0);
  Seg(1, "a");
  Seg(0x60000000, "far");
  EXPECT_EQ(stats_.segments_out_of_window, 1u);
  EXPECT_EQ(r_.held_bytes(), 0u);
  Seg(2, "b");
  EXPECT_EQ(out_.text, "ab");
}

TEST_F(ReassemblerTest, DestructionReturnsTheBudget) {
  {
    Reassembler r;
    r.OnSyn(0);
    r.OnSegment(ctx_, 50, reinterpret_cast<const uint8_t*>("held"), 4, 4, false, 0, &out_);
    EXPECT_GT(budget_.used(), 0u);
  }
  EXPECT_EQ(budget_.used(), 0u);
}

}  // namespace
}  // namespace capture_shim
