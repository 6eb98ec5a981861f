# eiw: neural text compression codec.
# make            build ./eiw, ./libeiw.a and ./libeiw_train.a (installs missing build deps first)
# make test       build and run the whole test suite
# make demo       build, then compress and decompress a sample and print the ratio
# make SAN=1 test same, under AddressSanitizer + UndefinedBehaviorSanitizer (separate build dir)
# make SIMD=none  force the portable scalar kernels
# make fuzz       libFuzzer targets (fuzz/, clang) run FUZZ_SECONDS each; see fuzz/run.sh
# make install    PREFIX=/usr/local DESTDIR= : eiw, the libraries, headers, eiw.pc, eiw.1
#
# The public targets first run scripts/deps.sh (apt-get, only for missing packages) and then
# re-invoke make: flags come from pkg-config, which must run after the packages exist, and
# $(shell ...) in a makefile is evaluated when the makefile is read, before any recipe runs.

PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^#define EIW_VERSION_STRING "\([^"]*\)".*/\1/p' include/eiw.h)
PUBLIC_TARGETS := all build test demo install fuzz fuzz-build

.PHONY: $(PUBLIC_TARGETS) deps build uninstall clean

ifneq ($(EIW_DEPS_DONE),1)

all:
$(PUBLIC_TARGETS): deps
	@$(MAKE) --no-print-directory EIW_DEPS_DONE=1 $@

deps:
	@scripts/deps.sh

# Any other target (./eiw, build/eiw_tests, ...) goes the same way.
Makefile: ;
%:: deps
	@$(MAKE) --no-print-directory EIW_DEPS_DONE=1 $@

else

CC      ?= cc
PKGS    := libzstd libxxhash jansson openblas
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wformat=2 -Wdouble-promotion
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CRITERION_LIBS := $(shell pkg-config --libs criterion)
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DEIW_VERSION=\"$(VERSION)\" $(WARN) $(CFLAGS) \
             -fopenmp -Iinclude -I. $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -fopenmp -lm
# what a program needs with libeiw.a alone (coding, no training): no OpenBLAS; OpenMP stays,
# as the container and the context-mixing coder run blocks and lanes in parallel with it
CODEC_LIBS := $(shell pkg-config --libs libzstd libxxhash) -fopenmp -lm

ifeq ($(SAN),1)
  BUILD := build-san
  ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDLIBS += -fsanitize=address,undefined
else
  BUILD := build
endif
ifeq ($(SIMD),none)
  ALL_CFLAGS += -DEIW_SIMD_NONE=1
  BUILD := $(BUILD)-scalar
endif
# make MPI=1: the eiw program with MPI for `mpirun -np N eiw tokenize` (build-mpi/eiw); the
# default build has no MPI.
ifeq ($(MPI),1)
  CC := mpicc
  ALL_CFLAGS += -DEIW_MPI=1
  BUILD := $(BUILD)-mpi
endif
# make FUZZ=1 fuzz-build: the libFuzzer binaries build-fuzz/fuzz_<target> (clang, ASan + UBSan)
ifeq ($(FUZZ),1)
  CC := clang
  BUILD := build-fuzz
  FUZZ_COV := -fsanitize=fuzzer-no-link
  ALL_CFLAGS += $(FUZZ_COV) -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -Wno-pass-failed -Wno-double-promotion
  LDLIBS += -fsanitize=fuzzer,address,undefined
endif

# libeiw.a: coding, the integer models (M1, static), context mixing, token shards: no BLAS.
# Its dataset layer (data/: JSON Lines, manifests) uses jansson; a codec program links without.
# libeiw_train.a: training, float models and checkpoints, M2 sampling, checkpoint export
# (OpenBLAS); it uses libeiw.a. eiw.pc and eiw-train.pc name what each needs.
TRAIN_SRC := $(addprefix model/,adamw.c checkpoint.c m1_export.c m2_sample.c tensor_ops.c \
               train_data.c train_options.c trainer.c transformer.c)
LIB_SRC  := $(filter-out $(TRAIN_SRC),$(sort $(wildcard common/*.c codec/*.c model/*.c data/*.c)))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
# the fuzz targets' entry functions are plain C: the test suite replays their corpora
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_TARGETS ?= container window model checkpoint shard jsonl manifest
# the trained M1s (model/weights/m1-*.eiwm) are embedded in the library by .incbin
LIB_ASM  := model/m1_builtin_data.S
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(LIB_ASM:%.S=$(BUILD)/%.o)
TRAIN_OBJ := $(TRAIN_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
# the suite also checks the program's progress line (tests/test_progress.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o) $(FUZZ_SRC:%.c=$(BUILD)/%.o) $(BUILD)/cli/progress.o
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)

ifeq ($(BUILD),build)
  EIW := eiw
  LIB := libeiw.a
  TRAIN_LIB := libeiw_train.a
else
  EIW := $(BUILD)/eiw
  LIB := $(BUILD)/libeiw.a
  TRAIN_LIB := $(BUILD)/libeiw_train.a
endif
# the trainer's library first: it uses the codec's
LIBS := $(TRAIN_LIB) $(LIB)
TESTBIN := $(BUILD)/eiw_tests
LINK_CHECK := $(BUILD)/codec_link_check

all: build
build: $(EIW) $(LIB) $(TRAIN_LIB)
deps:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# the portable scalar kernels are plain C loops over integers; letting the compiler vectorize
# them (baseline SSE2 on x86-64) is exact and makes the SIMD=none build 4-5x faster
ifneq ($(FUZZ),1)
$(BUILD)/model/qkernels.o $(BUILD)/model/qattention.o: ALL_CFLAGS += -fvect-cost-model=dynamic
# the context mixing (integer mixers, counters, APMs): -O3 codes it 1.5x faster, same bits
$(BUILD)/model/cm_model.o: ALL_CFLAGS += -O3
else
# fixed-size arithmetic loops (256 weights per byte, matrix kernels): coverage feedback there
# only slows the fuzzer down 3x; they still run under ASan + UBSan
$(BUILD)/model/qkernels.o $(BUILD)/model/qattention.o $(BUILD)/codec/quantize.o: FUZZ_COV :=
endif


$(BUILD)/model/m1_builtin_data.o: model/m1_builtin_data.S model/weights/m1-202612.eiwm \
                                  model/weights/m1-202611.eiwm
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(TRAIN_LIB): $(TRAIN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(EIW): $(CLI_OBJ) $(LIBS)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(LIBS) $(LDLIBS)

$(TESTBIN): $(TEST_OBJ) $(LIBS) $(EIW)
	$(CC) $(ALL_CFLAGS) -o $@ $(TEST_OBJ) $(LIBS) $(LDLIBS) $(CRITERION_LIBS)

# A program that only compresses and decompresses links libeiw.a with zstd, xxhash and
# OpenMP, without OpenBLAS or the trainer: a link failure fails `make test`.
$(LINK_CHECK): tests/codec_link_check.c $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(CODEC_LIBS) $(filter -fsanitize%,$(LDLIBS))

# A training checkpoint without its AdamW moments (scripts/train_m1v2.sh at the end of a run,
# scripts/make_golden_formats.sh): make build/ckpt_weights_only
$(BUILD)/ckpt_weights_only: scripts/ckpt_weights_only.c $(LIBS)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDLIBS)

# Tests find the program through EIW_BIN and run from the tree root (golden files under
# tests/golden); corpus-level tests run only when ../shared/corpora exists.
test: build $(TESTBIN) $(LINK_CHECK)
	$(LINK_CHECK)
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) EIW_BIN=$(abspath $(EIW)) \
	    $(TESTBIN) --jobs 2 $(TESTFLAGS)

demo: build
	@scripts/demo.sh ./$(EIW)

# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="container jsonl"]: builds with clang and runs each
# target under nice; new inputs go to a scratch directory, never into the repository
fuzz:
	@fuzz/run.sh

fuzz-build: $(FUZZ_BIN)
.PRECIOUS: $(BUILD)/fuzz/libfuzzer_%.o

$(BUILD)/fuzz/libfuzzer_%.o: fuzz/libfuzzer_main.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DEIW_FUZZ_ENTRY=eiw_fuzz_$* -c $< -o $@

$(BUILD)/fuzz_%: $(BUILD)/fuzz/libfuzzer_%.o $(FUZZ_SRC:%.c=$(BUILD)/%.o) $(LIBS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/include/eiw $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(EIW) $(DESTDIR)$(PREFIX)/bin/eiw
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/libeiw.a
	install -m 644 $(TRAIN_LIB) $(DESTDIR)$(PREFIX)/lib/libeiw_train.a
	install -m 644 include/*.h $(DESTDIR)$(PREFIX)/include/eiw/
	install -m 644 docs/eiw.1 $(DESTDIR)$(PREFIX)/share/man/man1/eiw.1
	for pc in eiw eiw-train; do \
	    sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' $$pc.pc.in \
	        > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc || exit 1; \
	done

-include $(LIB_OBJ:.o=.d) $(TRAIN_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/eiw $(DESTDIR)$(PREFIX)/lib/libeiw.a \
	      $(DESTDIR)$(PREFIX)/lib/libeiw_train.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/eiw.pc \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/eiw-train.pc $(DESTDIR)$(PREFIX)/share/man/man1/eiw.1
	rm -rf $(DESTDIR)$(PREFIX)/include/eiw

clean:
	rm -rf build build-san build-scalar build-san-scalar build-mpi build-fuzz eiw libeiw.a \
	       libeiw_train.a
