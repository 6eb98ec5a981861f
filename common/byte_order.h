/* Little-endian integers in byte buffers, byte by byte, so file formats read and write the same
 * on any host (container, token shards and their sidecars, checkpoints, integer models). */
#ifndef EIW_BYTE_ORDER_H
#define EIW_BYTE_ORDER_H
#include <stdint.h>
#include <string.h>

static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static inline void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
/* IEEE-754 binary32 by its bit pattern */
static inline void putf32(uint8_t *p, float x)
{
    uint32_t v;
    memcpy(&v, &x, 4);
    put32(p, v);
}
static inline float getf32(const uint8_t *p)
{
    uint32_t v = get32(p);
    float x;
    memcpy(&x, &v, 4);
    return x;
}
#endif
