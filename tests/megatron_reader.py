#!/usr/bin/env python3
"""An independent reader for eiw token shards (python3 standard library only).

Parses PREFIX-NNNNN.idx/.bin the way Megatron-LM's _IndexReader / IndexedDataset does
(megatron/core/datasets/indexed_dataset.py: magic b"MMIDIDX\\x00\\x00", <Q version 1, <B dtype
code, <Q sequence count, <Q document count, int32 lengths, int64 byte pointers, int64 document
indices; tokens read at pointer with the dtype's native little-endian width), the eiw sidecar
(.eiwd) and the JSON manifest, and checks them against each other. With --tokens-out FILE it
writes every document's tokens as text (one document per line, space-separated integers), so a
test can compare them with what eiw wrote.

usage: megatron_reader.py PREFIX [--tokens-out FILE]   (exit 0: consistent, 1: not)
"""
import json
import os
import struct
import sys

INDEX_HEADER = b"MMIDIDX\x00\x00"
DTYPES = {1: ("B", 1), 2: ("b", 1), 3: ("h", 2), 4: ("i", 4), 5: ("q", 8), 6: ("d", 8),
          7: ("f", 4), 8: ("H", 2)}


def fail(msg):
    print("megatron_reader: " + msg, file=sys.stderr)
    sys.exit(1)


def read_index(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:9] != INDEX_HEADER:
        fail(f"{path}: bad header")
    (version,) = struct.unpack_from("<Q", data, 9)
    if version != 1:
        fail(f"{path}: bad version {version}")
    (code,) = struct.unpack_from("<B", data, 17)
    if code not in DTYPES:
        fail(f"{path}: unknown dtype code {code}")
    seq_count, doc_count = struct.unpack_from("<QQ", data, 18)
    off = 34
    lengths = struct.unpack_from(f"<{seq_count}i", data, off)
    off += 4 * seq_count
    pointers = struct.unpack_from(f"<{seq_count}q", data, off)
    off += 8 * seq_count
    doc_idx = struct.unpack_from(f"<{doc_count}q", data, off)
    off += 8 * doc_count
    if off != len(data):
        fail(f"{path}: {len(data) - off} bytes after the document indices")
    # the assertions of Megatron's _IndexReader
    if len(lengths) != seq_count or doc_idx[-1] != seq_count:
        fail(f"{path}: sequence count and document indices disagree")
    return code, lengths, pointers, doc_idx


def read_sidecar(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"EIWDOCS\x00":
        fail(f"{path}: bad sidecar magic")
    (version, wbits, tbits, model_id, shard, ndocs, in_bytes, tokens, bad, key, bin_bytes,
     bin_h, idx_h) = struct.unpack_from("<IHHQQQQQQQQQQ", data, 8)
    if version not in (1, 2, 3):   # 1: marker-end windows (eiw 0.2), 2: implicit end (0.3), 3: tight end
        fail(f"{path}: sidecar version {version}")
    docs = [struct.unpack_from("<QQI", data, 104 + 24 * i) for i in range(ndocs)]
    if 104 + 24 * ndocs + 8 != len(data):
        fail(f"{path}: sidecar size")
    return dict(window_bits=wbits, token_bits=tbits, shard=shard, ndocs=ndocs,
                input_bytes=in_bytes, tokens=tokens, bad=bad, bin_bytes=bin_bytes, docs=docs)


def main():
    args = sys.argv[1:]
    tokens_out = None
    if "--tokens-out" in args:
        i = args.index("--tokens-out")
        tokens_out = open(args[i + 1], "w")
        del args[i:i + 2]
    if len(args) != 1:
        fail("usage: megatron_reader.py PREFIX [--tokens-out FILE]")
    prefix = args[0]
    with open(prefix + ".json") as f:
        man = json.load(f)
    if man["format"] != "eiw-tokens" or man["shard_count"] != len(man["shards"]):
        fail("manifest: format or shard count")
    tb = man["token_bits"]
    want_code = {8: 1, 16: 8}[tb]
    total_docs = total_tokens = total_bytes = 0
    base = os.path.dirname(prefix)
    for k, sh in enumerate(man["shards"]):
        sp = os.path.join(base, sh["prefix"])
        code, lengths, pointers, doc_idx = read_index(sp + ".idx")
        if code != want_code or code != man["megatron_dtype_code"]:
            fail(f"{sp}.idx: dtype code {code}, manifest says {man['megatron_dtype_code']}")
        fmt, size = DTYPES[code]
        with open(sp + ".bin", "rb") as f:
            binary = f.read()
        side = read_sidecar(sp + ".eiwd")
        if side["shard"] != k or side["window_bits"] != man["window_bits"] or side["token_bits"] != tb:
            fail(f"{sp}.eiwd: settings differ from the manifest")
        if len(lengths) != side["ndocs"] or list(doc_idx) != list(range(len(lengths) + 1)):
            fail(f"{sp}: {len(lengths)} sequences, sidecar has {side['ndocs']} documents")
        per_window = man["window_bits"] // tb
        ntok = 0
        for i, (n, p) in enumerate(zip(lengths, pointers)):
            if p != ntok * size:
                fail(f"{sp}.idx: sequence {i} pointer {p}, expected {ntok * size}")
            if n % per_window:
                fail(f"{sp}.idx: sequence {i} is not whole windows")
            if (n == 0) != (side["docs"][i][0] == 0):
                fail(f"{sp}: document {i} has {n} tokens for {side['docs'][i][0]} bytes")
            seq = struct.unpack_from(f"<{n}{fmt}", binary, p)   # IndexedDataset[i]
            if tokens_out:
                tokens_out.write(" ".join(map(str, seq)) + "\n")
            ntok += n
        if ntok * size != len(binary) or ntok != side["tokens"] or ntok != sh["tokens"]:
            fail(f"{sp}.bin: {len(binary)} bytes, {ntok} tokens; sidecar {side['tokens']}, "
                 f"manifest {sh['tokens']}")
        if side["input_bytes"] != sh["input_bytes"] or side["ndocs"] != sh["documents"] \
                or len(binary) != sh["bin_bytes"]:
            fail(f"{sp}: sidecar and manifest disagree")
        total_docs += side["ndocs"]
        total_tokens += ntok
        total_bytes += side["input_bytes"]
    if (total_docs, total_tokens, total_bytes) != (man["documents"], man["tokens"],
                                                   man["input_bytes"]):
        fail("manifest totals differ from the shards")
    print(f"{prefix}: {len(man['shards'])} shards, {total_docs} documents, {total_tokens} tokens "
          f"({'uint8' if tb == 8 else 'uint16'}), {total_bytes} bytes: consistent")


if __name__ == "__main__":
    main()
