/* Human-readable status messages, the one home of them: eiw.h's eiw_status and eiw_train.h's
 * eiw_train_status, whose values do not overlap (-1.. and -100..), so one function names any
 * status of either library. */
#include "eiw.h"
#include "eiw_train.h"

const char *eiw_strerror(int status)
{
    switch (status) {
    case EIW_OK: return "success";
    case EIW_ERR_PARAM: return "invalid parameter";
    case EIW_ERR_NOMEM: return "out of memory";
    case EIW_ERR_DST_TOO_SMALL: return "output buffer too small";
    case EIW_ERR_IO: return "read or write error";
    case EIW_ERR_MAGIC: return "not in eiw format";
    case EIW_ERR_VERSION: return "unsupported format version (made by a newer eiw?)";
    case EIW_ERR_TRUNCATED: return "unexpected end of file (truncated)";
    case EIW_ERR_CORRUPT: return "corrupt data";
    case EIW_ERR_CHECKSUM: return "checksum mismatch (corrupt data)";
    case EIW_ERR_MODEL: return "compressed with a different model";
    case EIW_ERR_MODEL_FILE: return "invalid model file";
    case EIW_ERR_AMBIGUOUS: return "no unambiguous window for these bytes";
    case EIW_ERR_TRAILING: return "trailing garbage after the compressed data";
    case EIW_TRAIN_ERR_NOMEM: return "out of memory";
    case EIW_TRAIN_ERR_IO: return "I/O error";
    case EIW_TRAIN_ERR_FORMAT: return "not an eiw checkpoint or invalid field";
    case EIW_TRAIN_ERR_VERSION: return "unsupported checkpoint version";
    case EIW_TRAIN_ERR_TRUNCATED: return "checkpoint truncated (size does not match its header)";
    case EIW_TRAIN_ERR_CHECKSUM: return "checkpoint corrupted (checksum mismatch)";
    case EIW_TRAIN_ERR_CONFIG: return "invalid model configuration or training option";
    case EIW_TRAIN_ERR_DATA:
        return "training data too short for one sample, or token out of vocabulary";
    case EIW_TRAIN_ERR_MISMATCH: return "training data differs from the checkpoint's";
    case EIW_TRAIN_ERR_NOSTATE: return "checkpoint has no training state";
    default: return "unknown error";
    }
}

const char *eiw_train_strerror(int status)
{
    return eiw_strerror(status);
}
