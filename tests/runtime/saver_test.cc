// tf.train.Saver: save, restore into a fresh session, steps in names, latest_checkpoint, errors.
#include "runtime/saver.h"

#include <unistd.h>

#include <filesystem>

#include "tests/testing/op_testing.h"

namespace kiln::train {
namespace {

using kiln::testing::ExpectValues;
using kiln::testing::Values;
using SaverTest = kiln::testing::GraphTest;

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() / ("kiln_saver_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST_F(SaverTest, SavedVariablesRestoreIntoAFreshSession) {
  Variable W(constant(Values({1, 2, 3, 4}, {2, 2})), "W");
  Variable b(constant(Values({0.5}, {1})), "b");
  Output bump = W.assign_add(constant(Values({10, 10, 10, 10}, {2, 2})));
  std::string dir = TempDir();
  {
    Session sess(g);
    ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
    ASSERT_TRUE(sess.run(bump).ok());
    auto prefix = Saver().save(sess, dir + "/model.ckpt", 100);
    ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
    EXPECT_EQ(*prefix, dir + "/model.ckpt-100");
  }
  EXPECT_EQ(latest_checkpoint(dir), dir + "/model.ckpt-100");
  Session fresh(g);
  ASSERT_TRUE(Saver().restore(fresh, latest_checkpoint(dir)).ok());
  ExpectValues(fresh.run(W).value(), {2, 2}, {11, 12, 13, 14});
  ExpectValues(fresh.run(b).value(), {1}, {0.5});
}

TEST_F(SaverTest, ExplicitVarListSavesOnlyThoseVariables) {
  Variable a(constant(Values({1}, {1})), "a");
  Variable skipped(constant(Values({2}, {1})), "skipped");
  std::string dir = TempDir();
  Session sess(g);
  ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
  ASSERT_TRUE(Saver(std::vector<Variable>{a}).save(sess, dir + "/only_a").ok());
  Session fresh(g);
  EXPECT_FALSE(Saver().restore(fresh, dir + "/only_a").ok());  // `skipped` is not in it
  ASSERT_TRUE(Saver(std::vector<std::string>{"a"}).restore(fresh, dir + "/only_a").ok());
  ExpectValues(fresh.run(a).value(), {1}, {1});
}

TEST_F(SaverTest, UninitializedVariablesCannotBeSaved) {
  Variable a(constant(Values({1}, {1})), "a");
  Session sess(g);
  auto r = Saver().save(sess, TempDir() + "/never");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("uninitialized value a"), std::string::npos);
}

TEST_F(SaverTest, ShapeMismatchOnRestoreNamesBothShapes) {
  std::string dir = TempDir();
  {
    Graph other;
    auto guard2 = as_default(other);
    Variable W(constant(Values({1, 2, 3}, {3})), "W");
    Session sess(other);
    ASSERT_TRUE(sess.run(global_variables_initializer()).ok());
    ASSERT_TRUE(Saver().save(sess, dir + "/wrong_shape").ok());
  }
  Variable W(constant(Values({1, 2, 3, 4}, {2, 2})), "W");
  Session sess(g);
  Status s = Saver().restore(sess, dir + "/wrong_shape");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("float[2,2]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("float[3]"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace kiln::train
