/* Human-readable status messages. */
#include "eiw.h"

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
    default: return "unknown error";
    }
}
