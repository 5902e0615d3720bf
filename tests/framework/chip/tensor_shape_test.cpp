// Tests for the shape and data movement family of seedval/chip/tensor.h (Reshape, Transpose, Concat,
// Flatten, Squeeze, Unsqueeze, Slice, Gather, Split, Pad, Expand, Shape, Where): hand-worked results,
// tensor-valued parameters checked at execution, dtype and shape errors, wire round trips, and no lane
// results.
#include <cstdint>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <seedval/chip/tensor.h>
#include <seedval/core/error.h>

#include "tensor_test_util.h"

namespace seedval::chip::test {
namespace {

constexpr auto f = DType::f32;
constexpr auto i64 = DType::i64;
using V = std::vector<double>;
const V k6{1, 2, 3, 4, 5, 6};

}  // namespace

BOOST_AUTO_TEST_SUITE(chip_tensor_shape)

BOOST_AUTO_TEST_CASE(reshape_flatten_squeeze_unsqueeze) {
  const auto rs = make(TensorOpKind::reshape, {operand(f, {2, 3}), operand(i64, {2})}, {operand(f, {3, 2})});
  CHECK_VALUES(eval(rs, {k6, {3, -1}}), k6, 0);
  // 0 copies the input's dim: [0, 3] means [2, 3], not the [3, 2] the output claims.
  BOOST_CHECK_EXCEPTION(eval(rs, {k6, {0, 3}}), InvalidArgumentError,
                        testing::error_with(ErrorCode::invalid_argument,
                                            "Reshape: output 0 (reshaped): shape [3,2] should be [2,3]"));
  const auto rs0 = make(TensorOpKind::reshape, {operand(f, {2, 3}), operand(i64, {2})}, {operand(f, {2, 3})});
  CHECK_VALUES(eval(rs0, {k6, {0, 3}}), k6, 0);
  CHECK_VALUES(eval(make(TensorOpKind::flatten, {operand(f, {2, 3, 1})}, {operand(f, {6, 1})},
                         {attr(AttrId::axis, std::int64_t{2})}),
                    {k6}),
               k6, 0);
  BOOST_CHECK_NO_THROW(validate(make(TensorOpKind::flatten, {operand(f, {2, 3, 1})}, {operand(f, {1, 6})},
                                     {attr(AttrId::axis, std::int64_t{0})})));
  const auto sq =
      make(TensorOpKind::squeeze, {operand(f, {1, 3, 1}), operand(i64, {1})}, {operand(f, {3, 1})});
  CHECK_VALUES(eval(sq, {{1, 2, 3}, {0}}), (V{1, 2, 3}), 0);
  BOOST_CHECK_NO_THROW(validate(make(TensorOpKind::squeeze, {operand(f, {1, 3, 1})}, {operand(f, {3})})));
  const auto usq =
      make(TensorOpKind::unsqueeze, {operand(f, {3}), operand(i64, {2})}, {operand(f, {1, 3, 1})});
  CHECK_VALUES(eval(usq, {{1, 2, 3}, {0, -1}}), (V{1, 2, 3}), 0);
  BOOST_CHECK_NO_THROW(validate(
      make(TensorOpKind::unsqueeze, {operand(f, {3})}, {operand(f, {3, 1})}, {ints(AttrId::axes, {1})})));
}

BOOST_AUTO_TEST_CASE(transpose_concat_split) {
  CHECK_VALUES(eval(make(TensorOpKind::transpose, {operand(f, {2, 3})}, {operand(f, {3, 2})}), {k6}),
               (V{1, 4, 2, 5, 3, 6}), 0);
  // out[k][i][0] = x[i][0][k].
  CHECK_VALUES(eval(make(TensorOpKind::transpose, {operand(DType::i8, {2, 1, 3})},
                         {operand(DType::i8, {3, 2, 1})}, {ints(AttrId::perm, {2, 0, 1})}),
                    {k6}),
               (V{1, 4, 2, 5, 3, 6}), 0);
  const auto cat = make(TensorOpKind::concat, {operand(f, {2, 2}), operand(f, {2, 1})}, {operand(f, {2, 3})},
                        {attr(AttrId::axis, std::int64_t{-1})});
  CHECK_VALUES(eval(cat, {{1, 2, 3, 4}, {5, 6}}), (V{1, 2, 5, 3, 4, 6}), 0);
  const auto sp =
      make(TensorOpKind::split, {operand(f, {6}), operand(i64, {2})}, {operand(f, {2}), operand(f, {4})});
  CHECK_VALUES(eval(sp, {k6, {2, 4}}, 0), (V{1, 2}), 0);
  CHECK_VALUES(eval(sp, {k6, {2, 4}}, 1), (V{3, 4, 5, 6}), 0);
  BOOST_CHECK_EXCEPTION(
      eval(sp, {k6, {3, 3}}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument,
                          "Split: output 0 (outputs): size 2 along axis 0 differs from split value 3"));
  const auto thirds = make(TensorOpKind::split, {operand(f, {2, 3})},
                           {operand(f, {2, 1}), operand(f, {2, 1}), operand(f, {2, 1})},
                           {attr(AttrId::axis, std::int64_t{1})});
  CHECK_VALUES(eval(thirds, {k6}, 0), (V{1, 4}), 0);
  CHECK_VALUES(eval(thirds, {k6}, 2), (V{3, 6}), 0);
}

BOOST_AUTO_TEST_CASE(slice_and_gather) {
  const V ten{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto sl = [](Shape out, DType it = i64) {
    return make(TensorOpKind::slice,
                {operand(f, {10}), operand(it, {1}), operand(it, {1}), absent(), operand(it, {1})},
                {operand(f, std::move(out))});
  };
  CHECK_VALUES(eval(sl({3}), {ten, {1}, {8}, {}, {3}}), (V{1, 4, 7}), 0);
  // A negative step walks back from the clamped start; an end far below 0 clamps to before element 0.
  CHECK_VALUES(eval(sl({3}, DType::i32), {ten, {-1}, {-100}, {}, {-4}}), (V{9, 5, 1}), 0);
  // Steps far longer than the axis take one element.
  CHECK_VALUES(eval(sl({1}), {ten, {2}, {10}, {}, {9.2e18}}), (V{2}), 0);
  CHECK_VALUES(eval(sl({1}), {ten, {-1}, {-100}, {}, {-9.2e18}}), (V{9}), 0);
  // Bounds past the end clamp.
  CHECK_VALUES(eval(sl({2}), {ten, {8}, {1000}, {}, {1}}), (V{8, 9}), 0);
  const auto sl2 =
      make(TensorOpKind::slice, {operand(f, {2, 3}), operand(i64, {1}), operand(i64, {1}), operand(i64, {1})},
           {operand(f, {2, 2})});
  CHECK_VALUES(eval(sl2, {k6, {1}, {3}, {-1}}), (V{2, 3, 5, 6}), 0);
  const auto ga = make(TensorOpKind::gather, {operand(f, {3, 2}), operand(i64, {2})}, {operand(f, {2, 2})});
  CHECK_VALUES(eval(ga, {k6, {2, 0}}), (V{5, 6, 1, 2}), 0);
  const auto ga1 = make(TensorOpKind::gather, {operand(f, {3, 2}), operand(DType::i32, {1})},
                        {operand(f, {3, 1})}, {attr(AttrId::axis, std::int64_t{1})});
  CHECK_VALUES(eval(ga1, {k6, {-1}}), (V{2, 4, 6}), 0);
  BOOST_CHECK_EXCEPTION(
      eval(ga, {k6, {3, 0}}), InvalidArgumentError,
      testing::error_with(ErrorCode::invalid_argument,
                          "Gather: input 1 (indices): index 3 is out of range for axis size 3"));
}

BOOST_AUTO_TEST_CASE(pad_expand_shape_where) {
  const auto pad = [](std::int64_t n_out, const char* mode, bool value) {
    std::vector<TensorOperand> in{operand(f, {3}), operand(i64, {2})};
    if (value) in.push_back(operand(f, {}));
    return make(TensorOpKind::pad, std::move(in), {operand(f, {n_out})},
                {attr(AttrId::mode, string_attribute_value(AttrId::mode, mode))});
  };
  CHECK_VALUES(eval(pad(6, "constant", true), {{1, 2, 3}, {1, 2}, {9}}), (V{9, 1, 2, 3, 9, 9}), 0);
  CHECK_VALUES(eval(pad(4, "constant", false), {{1, 2, 3}, {0, 1}}), (V{1, 2, 3, 0}), 0);
  CHECK_VALUES(eval(pad(7, "reflect", false), {{1, 2, 3}, {2, 2}}), (V{3, 2, 1, 2, 3, 2, 1}), 0);
  CHECK_VALUES(eval(pad(7, "edge", false), {{1, 2, 3}, {2, 2}}), (V{1, 1, 1, 2, 3, 3, 3}), 0);
  CHECK_VALUES(eval(pad(2, "constant", false), {{1, 2, 3}, {-1, 0}}), (V{2, 3}), 0);  // negative pads crop
  const auto ex =
      make(TensorOpKind::expand, {operand(f, {3, 1}), operand(i64, {3})}, {operand(f, {2, 3, 2})});
  CHECK_VALUES(eval(ex, {{1, 2, 3}, {2, 1, 2}}), (V{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::shape, {operand(f, {2, 3, 4})}, {operand(i64, {3})}), {V(24, 0)}),
               (V{2, 3, 4}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::shape, {operand(f, {2, 3, 4})}, {operand(i64, {2})},
                         {attr(AttrId::start, std::int64_t{-2})}),
                    {V(24, 0)}),
               (V{3, 4}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::shape, {operand(f, {2, 3, 4})}, {operand(i64, {1})},
                         {attr(AttrId::end, std::int64_t{1})}),
                    {V(24, 0)}),
               (V{2}), 0);
  const auto wh =
      make(TensorOpKind::where, {operand(DType::boolean, {2}), operand(f, {2, 2}), operand(f, {})},
           {operand(f, {2, 2})});
  CHECK_VALUES(eval(wh, {{1, 0}, {1, 2, 3, 4}, {9}}), (V{1, 9, 3, 9}), 0);
}

BOOST_AUTO_TEST_CASE(validation) {
  invalid(make(TensorOpKind::reshape, {operand(f, {2, 3}), operand(i64, {1})}, {operand(f, {4})}),
          "Reshape: output 0 (reshaped): shape [4] does not have the 6 elements of input 0 (data) [2,3]");
  unsupported(make(TensorOpKind::reshape, {operand(f, {2, 3}), operand(DType::i32, {1})}, {operand(f, {6})}),
              "Reshape: input 1 (shape): dtype i32 is not supported (supported: i64)");
  invalid(
      make(TensorOpKind::transpose, {operand(f, {2, 3})}, {operand(f, {2, 3})}, {ints(AttrId::perm, {0, 0})}),
      "Transpose: attribute perm repeats axis 0");
  invalid(make(TensorOpKind::transpose, {operand(f, {2, 3})}, {operand(f, {2, 3})}),
          "Transpose: output 0 (transposed): shape [2,3] should be [3,2]");
  invalid(make(TensorOpKind::concat, {operand(f, {2, 2}), operand(f, {1, 3})}, {operand(f, {3, 2})},
               {attr(AttrId::axis, std::int64_t{0})}),
          "Concat: input 1 (inputs): shape [1,3] should be [1,2]");
  invalid(make(TensorOpKind::concat, {operand(f, {2})}, {operand(f, {2})}),
          "Concat: attribute axis is required");
  invalid(make(TensorOpKind::concat, {operand(f, {2}), operand(DType::f16, {2})}, {operand(f, {4})},
               {attr(AttrId::axis, std::int64_t{0})}),
          "Concat: input 1 (inputs): dtype f16 differs from input 0 (inputs) dtype f32");
  invalid(make(TensorOpKind::squeeze, {operand(f, {1, 3})}, {operand(f, {1})}, {ints(AttrId::axes, {1})}),
          "Squeeze: input 0 (data): axis 1 has size 3, not 1");
  invalid(make(TensorOpKind::split, {operand(f, {6})}, {operand(f, {2}), operand(f, {3})}),
          "Split: the outputs' sizes along axis 0 add up to 5, not 6");
  invalid(make(TensorOpKind::split, {operand(f, {6})}, {operand(f, {2}), operand(f, {4})}),
          "Split: output 0 (outputs): size 2 along axis 0 should be 3 for an equal split");
  unsupported(
      make(TensorOpKind::where, {operand(f, {2}), operand(f, {2}), operand(f, {2})}, {operand(f, {2})}),
      "Where: input 0 (condition): dtype f32 is not supported (supported: bool)");
  invalid(make(TensorOpKind::where, {operand(DType::boolean, {3}), operand(f, {2}), operand(f, {2})},
               {operand(f, {2})}),
          "Where: shapes [3], [2] and [2] do not broadcast");
  invalid(make(TensorOpKind::shape, {operand(f, {2, 3})}, {operand(DType::i32, {2})}),
          "Shape: output 0 (shape): dtype i32 should be i64");
  invalid(make(TensorOpKind::slice, {operand(f, {2, 3}), operand(i64, {1}), operand(i64, {1})},
               {operand(f, {2})}),
          "Slice: output 0 (output): rank 1 should be 2");
  invalid(make(TensorOpKind::slice, {operand(f, {2, 3}), operand(i64, {1}), operand(i64, {2})},
               {operand(f, {2, 3})}),
          "Slice: input 2 (ends): 2 values, but input 1 (starts) has 1");
  invalid(make(TensorOpKind::pad, {operand(f, {2}), operand(i64, {2})}, {operand(f, {2})},
               {attr(AttrId::mode, std::int64_t{5})}),
          "Pad: attribute mode = 5 is outside 0..2");
  invalid(make(TensorOpKind::expand, {operand(f, {3}), operand(i64, {2})}, {operand(f, {2, 2})}),
          "Expand: output 0 (output): shape [2,2] is not a broadcast of input 0 (input) [3]");
  invalid(make(TensorOpKind::gather, {operand(f, {3, 2}), operand(i64, {2})}, {operand(f, {2, 3})}),
          "Gather: output 0 (output): shape [2,3] should be [2,2]");
}

BOOST_AUTO_TEST_CASE(wire_round_trip_and_no_lanes) {
  check_round_trip(make(TensorOpKind::pad, {operand(f, {3}), operand(i64, {2}), absent(), operand(i64, {1})},
                        {operand(f, {5})}, {attr(AttrId::mode, std::int64_t{1})}));
  check_round_trip(make(TensorOpKind::transpose, {operand(f, {2, 3})}, {operand(f, {3, 2})},
                        {ints(AttrId::perm, {1, 0})}));
  check_round_trip(make(TensorOpKind::split, {operand(f, {6})}, {operand(f, {2}), operand(f, {4})},
                        {attr(AttrId::axis, std::int64_t{0}), ints(AttrId::split, {2, 4})}));
  check_round_trip(make(TensorOpKind::shape, {operand(f, {2, 3})}, {operand(i64, {1})},
                        {attr(AttrId::start, std::int64_t{1}), attr(AttrId::end, std::int64_t{-1})}));
  check_round_trip(make(TensorOpKind::reshape, {operand(f, {2, 3}), operand(i64, {1})}, {operand(f, {6})},
                        {attr(AttrId::allowzero, std::int64_t{1})}));
  for (const auto k :
       {TensorOpKind::reshape, TensorOpKind::transpose, TensorOpKind::concat, TensorOpKind::flatten,
        TensorOpKind::squeeze, TensorOpKind::unsqueeze, TensorOpKind::slice, TensorOpKind::gather,
        TensorOpKind::split, TensorOpKind::pad, TensorOpKind::expand, TensorOpKind::shape,
        TensorOpKind::where, TensorOpKind::trilu, TensorOpKind::depth_to_space, TensorOpKind::space_to_depth,
        TensorOpKind::tile, TensorOpKind::dropout})
    BOOST_TEST(!has_lane_results(k), to_string(k));
  const auto tr = make(TensorOpKind::transpose, {operand(f, {2, 3})}, {operand(f, {3, 2})});
  BOOST_TEST(lane_results(tr, {k6}) == 0u);
  BOOST_TEST(mac_count(tr) == 0u);
}

BOOST_AUTO_TEST_CASE(trilu_depth_space_tile_dropout) {
  const V nine{1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK_VALUES(eval(make(TensorOpKind::trilu, {operand(f, {3, 3})}, {operand(f, {3, 3})}), {nine}),
               (V{1, 2, 3, 0, 5, 6, 0, 0, 9}), 0);
  const auto lower = make(TensorOpKind::trilu, {operand(f, {3, 3}), operand(i64, {})}, {operand(f, {3, 3})},
                          {attr(AttrId::upper, std::int64_t{0})});
  CHECK_VALUES(eval(lower, {nine, {-1}}), (V{0, 0, 0, 4, 0, 0, 7, 8, 0}), 0);
  const V eight{0, 1, 2, 3, 4, 5, 6, 7};
  const auto d2s = [](const char* mode) {
    return make(TensorOpKind::depth_to_space, {operand(f, {1, 8, 1, 1})}, {operand(f, {1, 2, 2, 2})},
                {attr(AttrId::blocksize, std::int64_t{2}),
                 attr(AttrId::mode, string_attribute_value(AttrId::mode, mode))});
  };
  // DCR: out[c][bh][bw] = x[(bh·2 + bw)·2 + c]; CRD: x[c·4 + bh·2 + bw].
  CHECK_VALUES(eval(d2s("DCR"), {eight}), (V{0, 2, 4, 6, 1, 3, 5, 7}), 0);
  CHECK_VALUES(eval(d2s("CRD"), {eight}), eight, 0);
  const auto s2d = make(TensorOpKind::space_to_depth, {operand(f, {1, 2, 2, 2})}, {operand(f, {1, 8, 1, 1})},
                        {attr(AttrId::blocksize, std::int64_t{2})});
  CHECK_VALUES(eval(s2d, {{1, 2, 3, 4, 5, 6, 7, 8}}), (V{1, 5, 2, 6, 3, 7, 4, 8}), 0);
  CHECK_VALUES(
      eval(make(TensorOpKind::tile, {operand(f, {2}), operand(i64, {1})}, {operand(f, {6})}), {{1, 2}, {3}}),
      (V{1, 2, 1, 2, 1, 2}), 0);
  CHECK_VALUES(eval(make(TensorOpKind::tile, {operand(f, {1, 2}), operand(i64, {2})}, {operand(f, {2, 2})}),
                    {{1, 2}, {2, 1}}),
               (V{1, 2, 1, 2}), 0);
  const auto drop =
      make(TensorOpKind::dropout, {operand(f, {3}), operand(f, {}), operand(DType::boolean, {})},
           {operand(f, {3}), operand(DType::boolean, {3})}, {attr(AttrId::seed, std::int64_t{0})});
  CHECK_VALUES(eval(drop, {{1, 2, 3}, {0.5}, {0}}, 0), (V{1, 2, 3}), 0);
  CHECK_VALUES(eval(drop, {{1, 2, 3}, {0.5}, {0}}, 1), (V{1, 1, 1}), 0);
  CHECK_VALUES(eval(drop, {{1, 2, 3}, {0}, {1}}, 0), (V{1, 2, 3}), 0);  // training with ratio 0 keeps all
  BOOST_CHECK_EXCEPTION(
      eval(drop, {{1, 2, 3}, {0.5}, {1}}), UnsupportedError,
      testing::error_with(ErrorCode::unsupported, "Dropout: training mode with a non-zero ratio"));
  invalid(make(TensorOpKind::depth_to_space, {operand(f, {1, 6, 1, 1})}, {operand(f, {1, 1, 2, 2})},
               {attr(AttrId::blocksize, std::int64_t{2})}),
          "DepthToSpace: input 0 (input): 6 channels are not divisible by blocksize² 4");
  invalid(make(TensorOpKind::space_to_depth, {operand(f, {1, 1, 2, 2})}, {operand(f, {1, 4, 1, 1})}),
          "SpaceToDepth: attribute blocksize is required");
  invalid(make(TensorOpKind::depth_to_space, {operand(f, {1, 4, 1, 1})}, {operand(f, {1, 1, 2, 2})},
               {attr(AttrId::blocksize, std::int64_t{2}), attr(AttrId::mode, std::int64_t{1})}),
          "DepthToSpace: attribute mode = 1 should be DCR (3) or CRD (4)");
  invalid(make(TensorOpKind::tile, {operand(f, {2}), operand(i64, {2})}, {operand(f, {4})}),
          "Tile: input 1 (repeats): 2 values for rank 1");
  invalid(make(TensorOpKind::trilu, {operand(f, {3})}, {operand(f, {3})}),
          "Trilu: input 0 (input): rank 1 should be at least 2");
  check_round_trip(d2s("CRD"));
  BOOST_TEST(string_attribute_value(AttrId::mode, "DCR") == 3);
  BOOST_TEST(string_attribute_value(AttrId::mode, "CRD") == 4);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seedval::chip::test
