// The one Boost.Test main every test executable links (Boost.Test as a shared library).
#define BOOST_TEST_MODULE seedval
#include <boost/test/unit_test.hpp>
