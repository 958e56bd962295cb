#ifndef CKERNELS_FAST_EXP_H
#define CKERNELS_FAST_EXP_H

#include <stdint.h>
#include <string.h>

// Branch-free scalar formulas the compiler vectorises at each target's width (GELU, softmax). Same
// algorithm and constants as FastMath.swift; with FMA the products round once less, so results may
// differ from the Swift ones in the last bit.

static inline float ck_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
static inline int32_t ck_float_to_bits(float f) { int32_t i; memcpy(&i, &f, sizeof i); return i; }

// e^x with relative error below 2e-7 on [-87, 88]; inputs below -87.3 give e^-87.3 (about 1e-38),
// above 88.7 saturate.
static inline float fast_exp(float x) {
    float clamped = x < -87.3f ? -87.3f : (x > 88.7f ? 88.7f : x);
    // x = n ln2 + r, |r| <= ln2 / 2; adding 1.5 x 2^23 rounds to an integer held in the low mantissa bits.
    float shifted = clamped * 1.44269504f + 12582912.0f;
    float n = shifted - 12582912.0f;
    int32_t integer = ck_float_to_bits(shifted) - 0x4B400000;
    float r = (clamped - n * 0.693145751953125f) - n * 1.428606765330187045e-6f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1;
    p = p * r + 1;
    // 2^n in the exponent field, in two halves so n = 128 or -126 stays finite.
    int32_t half = integer >> 1;
    float a = ck_bits_to_float((uint32_t)(half + 127) << 23);
    float b = ck_bits_to_float((uint32_t)(integer - half + 127) << 23);
    return p * a * b;
}

#endif
