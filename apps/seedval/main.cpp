// seedval: validation, bring-up and production test for SeedChip.
#include "common.h"

int main(int argc, char** argv) {
  return seedval::cli::main(argc, argv);
}
