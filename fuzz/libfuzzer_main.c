/* libFuzzer entry point for one target, chosen at compile time (`make fuzz` builds one binary
 * per target with -DEIW_FUZZ_ENTRY=eiw_fuzz_<name>). */
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return EIW_FUZZ_ENTRY(data, size);
}
