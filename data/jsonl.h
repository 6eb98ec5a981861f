/* JSON Lines records, through jansson: the text field of a record as `eiw tokenize` reads it,
 * and a one-field record as `eiw detokenize --format jsonl` writes it. */
#ifndef EIW_DATA_JSONL_H
#define EIW_DATA_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include "eiw.h"

typedef struct {
    void *record;              /* the last record parsed (it holds the text) */
    char why[224];             /* why the last record was bad */
} eiw_jsonl_reader;

/* The string in field `field` of the JSON object on this line (the line without its "\n"):
 * returns NULL and sets *text and *len, valid until the next call or eiw_jsonl_reader_clear;
 * or returns why the record is bad (invalid UTF-8, empty line, invalid JSON, not an object,
 * no such field, a field that is not a string). A key given twice counts the last time, as in
 * Python's json module. */
const char *eiw_jsonl_text(eiw_jsonl_reader *r, const uint8_t *line, size_t n, const char *field,
                           const uint8_t **text, size_t *len);
void eiw_jsonl_reader_clear(eiw_jsonl_reader *r);

/* {"FIELD": "TEXT"} and "\n" (malloc'd, *len bytes). The text must be UTF-8 (EIW_ERR_PARAM
 * otherwise); EIW_ERR_NOMEM. */
eiw_status eiw_jsonl_record(const char *field, const uint8_t *text, size_t n, char **out,
                            size_t *len);

#endif
