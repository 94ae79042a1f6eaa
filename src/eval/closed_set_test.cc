#include "eval/closed_set.h"

#include <gtest/gtest.h>

namespace lfr::eval {
namespace {

EvalImage Img(std::vector<float> e) {
  EvalImage img;
  img.result.found = true;
  img.result.flip = e;
  img.result.plain = e;
  return img;
}
EvalImage NoFace() { return EvalImage{}; }
EvalIdentity Person(const std::string& name, std::vector<EvalImage> images) {
  EvalIdentity id;
  id.name = name;
  id.source = "lfw";
  id.images = std::move(images);
  return id;
}

// Unit vectors chosen so every rank is known:
//   a1.a2 = 0.6 but a1.b1 = 0.8 and a1.b2 = 0.6 (one impostor above the mate and one tied
//   with it, which counts against it: rank 3),
//   a2.a1 = 0.6 but a2.c1 = 0.8 (rank 2), b1.b2 = 0.96 (rank 1 both ways);
//   d has one face (its mate never enrolled) and one image without a face.
std::vector<EvalIdentity> People() {
  return {Person("a", {Img({1, 0, 0}), Img({0.6f, 0.8f, 0})}),
          Person("b", {Img({0.8f, 0, 0.6f}), Img({0.6f, 0, 0.8f})}),
          Person("c", {Img({0, 1, 0})}),
          Person("d", {Img({0, 0.6f, 0.8f}), NoFace()})};
}

TEST(ClosedSetTest, RanksCountImpostorsAboveTheBestMateAndNeverTheProbeItself) {
  ClosedSetOptions o;
  o.max_rank = 3;
  auto r = RunClosedSet(People(), o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->gallery_records, 6);
  EXPECT_EQ(r->gallery_people, 4);
  EXPECT_EQ(r->gallery_no_face, 1);
  EXPECT_EQ(r->people_probed, 3);  // c has a single image
  EXPECT_EQ(r->probes, 6);
  EXPECT_EQ(r->probes_no_face, 1);
  EXPECT_EQ(r->probes_mate_not_enrolled, 1);
  ASSERT_EQ(r->cmc.size(), 3u);
  // Were the probe's own record counted as its mate, every probe would be rank 1 (4/6).
  EXPECT_EQ(r->cmc[0].events, 2);
  EXPECT_EQ(r->cmc[1].events, 3);
  EXPECT_EQ(r->cmc[2].events, 4);
  for (const auto& rate : r->cmc) EXPECT_EQ(rate.trials, 6);
  const auto j = ClosedSetResultToJson(*r);
  EXPECT_DOUBLE_EQ(j["rank1"]["value"].get<double>(), 2.0 / 6.0);
  EXPECT_EQ(j["cmc"].size(), 3u);
}

TEST(ClosedSetTest, ProbesPerPersonAreCapped) {
  std::vector<EvalImage> many;
  for (int i = 0; i < 30; ++i) many.push_back(Img({1, 0, 0}));
  ClosedSetOptions o;
  o.max_probes_per_person = 4;
  auto r = RunClosedSet({Person("x", many), Person("y", {Img({0, 1, 0}), Img({0, 1, 0})})}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->probes, 6);
  EXPECT_EQ(r->gallery_records, 32);
  EXPECT_EQ(r->cmc[0].events, 6);
}

TEST(ClosedSetTest, BadOptionsAndNothingToProbeAreInvalidArgument) {
  ClosedSetOptions o;
  o.max_rank = 0;
  EXPECT_EQ(RunClosedSet(People(), o).status().code(), Status::Code::kInvalidArgument);
  o = {};
  o.max_probes_per_person = 0;
  EXPECT_EQ(RunClosedSet(People(), o).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(RunClosedSet({Person("c", {Img({0, 1, 0})})}, {}).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace lfr::eval
