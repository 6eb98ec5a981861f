/* Static byte statistics embedded in the program (generated: corpora/make_order_tables.py). */
#ifndef EIW_ORDER_TABLES_H
#define EIW_ORDER_TABLES_H
#include <stdint.h>
extern const uint32_t eiw_order_weight[256];     /* code k -> round(2^(k/16)) */
extern const uint8_t eiw_order0_codes[256];      /* byte -> code */
extern const uint8_t eiw_order1_codes[65536];    /* prev*256 + byte -> code */
#endif
