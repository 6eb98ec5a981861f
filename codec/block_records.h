/* Reading the records that follow a container's header (layout in docs/format.md): the one
 * reader of block records and of the end record, for decoding (codec/container.c) and for
 * walking a container without decoding (eiw_container_walk: `eiw list`,
 * eiw_decompressed_size). */
#ifndef EIW_BLOCK_RECORDS_H
#define EIW_BLOCK_RECORDS_H
#include <stdio.h>
#include "eiw.h"

/* A block record's header and the end record have the same size. */
#define EIW_RECORD_SIZE EIW_BLOCK_HEADER_SIZE
#if EIW_BLOCK_HEADER_SIZE != EIW_END_RECORD_SIZE
#error "block record header and end record differ in size"
#endif

/* Reads the next record from `in` into rec: a block (its header checked by
 * eiw_block_record_parse into *r, then its payload read into payload, or skipped when payload
 * is NULL: seeked over where `in` can seek, else read) or the end record. Returns 1 for a
 * block, 0 for the end record, or a negative status: EIW_ERR_IO, EIW_ERR_TRUNCATED,
 * EIW_ERR_CORRUPT. */
int eiw_record_read(FILE *in, const eiw_header *h, uint8_t rec[EIW_RECORD_SIZE],
                    eiw_block_record *r, uint8_t *payload);

/* The end record against the blocks: EIW_ERR_CORRUPT unless the total it declares is `total`,
 * the blocks' sum, and the header's size (where the header has one). */
eiw_status eiw_end_record_check(const eiw_header *h, const uint8_t rec[EIW_RECORD_SIZE],
                                uint64_t total);
#endif
