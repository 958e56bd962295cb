#include "CKernels.h"

#include <stdint.h>
#include <string.h>

// Dropout keep flags: the draws of TensorCore's DropoutKeepFlags (see CKernels.h), eight blocks' xoshiro256**
// generators stepped side by side in one vector each of s0..s3 (the blocks are independent streams, so
// the lanes never interact and every flag is the one the scalar loop draws).

typedef uint64_t u64x8 __attribute__((vector_size(64)));
enum { LANES = 8, STEPS = 256 };

static inline uint64_t splitmix_next(uint64_t *state) {
    *state += 0x9E3779B97F4A7C15ull;
    uint64_t z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// SplitMix64.derive(seed, index).
static inline uint64_t derive(uint64_t seed, uint64_t index) {
    uint64_t state = seed ^ (index * 0xD1B54A32D192ED03ull);
    (void)splitmix_next(&state);
    return splitmix_next(&state);
}

#define KEEP_FLAGS_BODY                                                                                 \
    for (long group = first_block; group < last_block; group += LANES) {                                \
        long lanes = last_block - group < LANES ? last_block - group : LANES;                           \
        u64x8 s0, s1, s2, s3;                                                                           \
        long remaining[LANES];                                                                          \
        for (int l = 0; l < LANES; l++) {                                                               \
            /* A lane past the last block repeats the group's first block; its flags are discarded. */  \
            long b = group + (l < lanes ? l : 0);                                                       \
            uint64_t state = derive(seed, (uint64_t)b);                                                 \
            s0[l] = splitmix_next(&state); s1[l] = splitmix_next(&state);                               \
            s2[l] = splitmix_next(&state); s3[l] = splitmix_next(&state);                               \
            long n = count - b * block;                                                                 \
            remaining[l] = l < lanes ? (n < block ? n : block) : 0;                                     \
        }                                                                                               \
        long longest = remaining[0];                                                                    \
        for (int l = 1; l < LANES; l++) longest = remaining[l] > longest ? remaining[l] : longest;      \
        uint8_t buffer[LANES][2 * STEPS];                                                               \
        for (long done = 0; done < longest; done += 2 * STEPS) {                                        \
            for (int j = 0; j < STEPS; j++) {                                                           \
                u64x8 x = s1 * 5;                                                                       \
                u64x8 word = ((x << 7) | (x >> 57)) * 9;                                                \
                u64x8 t = s1 << 17;                                                                     \
                s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;                                                 \
                s2 ^= t;                                                                                \
                s3 = (s3 << 45) | (s3 >> 19);                                                           \
                u64x8 high = (word >> 40) >= threshold, low = ((word >> 16) & 0xFFFFFF) >= threshold;   \
                for (int l = 0; l < LANES; l++) {                                                       \
                    buffer[l][2 * j] = (uint8_t)(high[l] & 1);                                          \
                    buffer[l][2 * j + 1] = (uint8_t)(low[l] & 1);                                       \
                }                                                                                       \
            }                                                                                           \
            for (int l = 0; l < lanes; l++) {                                                           \
                long n = remaining[l] - done;                                                           \
                if (n <= 0) continue;                                                                   \
                memcpy(flags + (group + l) * block + done, buffer[l], (size_t)(n < 2 * STEPS ? n : 2 * STEPS)); \
            }                                                                                           \
        }                                                                                               \
    }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw")))
static void keep_flags_avx512(uint64_t seed, long first_block, long last_block, long block, long count,
                              uint64_t threshold, uint8_t *flags) { KEEP_FLAGS_BODY }
__attribute__((target("avx2")))
static void keep_flags_avx2(uint64_t seed, long first_block, long last_block, long block, long count,
                            uint64_t threshold, uint8_t *flags) { KEEP_FLAGS_BODY }
#endif

static void keep_flags_baseline(uint64_t seed, long first_block, long last_block, long block, long count,
                                uint64_t threshold, uint8_t *flags) { KEEP_FLAGS_BODY }

void ck_dropout_keep_flags_level(int level, uint64_t seed, long first_block, long last_block, long block, long count,
                                 uint64_t threshold, uint8_t *flags) {
#if defined(__x86_64__)
    if (level >= 2) { keep_flags_avx512(seed, first_block, last_block, block, count, threshold, flags); return; }
    if (level == 1) { keep_flags_avx2(seed, first_block, last_block, block, count, threshold, flags); return; }
#endif
    (void)level;
    keep_flags_baseline(seed, first_block, last_block, block, count, threshold, flags);
}

void ck_dropout_keep_flags(uint64_t seed, long first_block, long last_block, long block, long count, uint64_t threshold,
                           uint8_t *flags) {
    ck_dropout_keep_flags_level(ck_kernel_level(), seed, first_block, last_block, block, count, threshold, flags);
}
