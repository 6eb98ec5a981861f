/* UTF-8 validity, as JSON and `--check-utf8` need it. */
#ifndef EIW_DATA_UTF8_H
#define EIW_DATA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Is s[0..n) valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF)? Returns -1 if so, else
 * the offset of the first invalid byte. */
ptrdiff_t eiw_utf8_check(const uint8_t *s, size_t n);

#endif
